import { BronzeMaintenance } from "@medallion/bronze"
import { Console, Effect } from "effect"
import * as App from "../App.ts"
import * as Progress from "../Progress.ts"

/** What `medallion reconcile` runs (its definition: ../definitions/Reconcile.ts). */
export const handler = Effect.fn(function* () {
  const progress = Progress.make({ label: "reconcile", unit: "artifacts" })
  const report = yield* App.run((app) =>
    Effect.flatMap(BronzeMaintenance, (maintenance) =>
      maintenance.reconcile({ onProgress: (p) => progress.update(p) })
    ).pipe(Effect.provide(App.bronze(app)), Effect.ensuring(progress.stop))
  )
  yield* Console.log(
    `checked ${report.scannedArtifacts} artifact(s): ${report.restoredIndexLines} index line(s) restored, ` +
      `${report.removedTempFiles} temporary file(s) removed${report.repairedTornLine ? ", a torn index line terminated" : ""}`
  )
})
