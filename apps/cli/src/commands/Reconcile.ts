import { BronzeMaintenance } from "@medallion/bronze"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"

/**
 * Bronze's upkeep over the whole store, on demand: the fetch daemon runs it on a schedule over the last
 * day only. Needed once when a store switches from scan to index discovery (every artifact then needs
 * its index line), and safe next to running daemons (a line appended twice is read once).
 */
export const reconcile = Command.make(
  "reconcile",
  {},
  Effect.fn(function* () {
    const report = yield* App.run((app) =>
      Effect.flatMap(BronzeMaintenance, (maintenance) => maintenance.reconcile()).pipe(Effect.provide(App.bronze(app)))
    )
    yield* Console.log(
      `checked ${report.scannedArtifacts} artifact(s): ${report.restoredIndexLines} index line(s) restored, ` +
        `${report.removedTempFiles} temporary file(s) removed${report.repairedTornLine ? ", a torn index line terminated" : ""}`
    )
  })
).pipe(
  Command.withDescription(
    "Check all of bronze against its index: restore the lines of artifacts that have none, terminate a torn last line, remove stale temporary files. Run it once after switching bronze.discovery to index."
  )
)
