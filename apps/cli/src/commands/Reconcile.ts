import { BronzeMaintenance } from "@medallion/bronze"
import { Console, Effect } from "effect"
import * as App from "../App.ts"

/** What `medallion reconcile` runs (its definition: ../definitions/Reconcile.ts). */
export const handler = Effect.fn(function* () {
  const report = yield* App.run((app) =>
    Effect.flatMap(BronzeMaintenance, (maintenance) => maintenance.reconcile()).pipe(Effect.provide(App.bronze(app)))
  )
  yield* Console.log(
    `checked ${report.scannedArtifacts} artifact(s): ${report.restoredIndexLines} index line(s) restored, ` +
      `${report.removedTempFiles} temporary file(s) removed${report.repairedTornLine ? ", a torn index line terminated" : ""}`
  )
})
