import { Backfill } from "@medallion/sensors"
import { Console, Effect, Option } from "effect"
import * as Operations from "../Operations.ts"
import * as Progress from "../Progress.ts"
import * as TransformWiring from "../TransformWiring.ts"

/** What `medallion backfill` runs (its definition: ../definitions/Backfill.ts). */
export const handler = Effect.fn(function* ({
  source,
  since,
  until,
  dryRun,
  batchSize
}: {
  readonly source: Option.Option<string>
  readonly since: Option.Option<number>
  readonly until: Option.Option<number>
  readonly dryRun: boolean
  readonly batchSize: number
}) {
  const progress = Progress.make({ label: "backfill", unit: "items" })
  const report = yield* Operations.run((app) =>
    Backfill.run({
      job: TransformWiring.transformJob(app),
      sourceType: Option.getOrUndefined(source),
      since: Option.getOrUndefined(since),
      until: Option.getOrUndefined(until),
      batchSize,
      dryRun,
      onProgress: (p) =>
        progress.update({ done: p.done, total: p.total, elapsedMs: p.elapsedMs, counts: { failed: p.failed } })
    }).pipe(Effect.provide(TransformWiring.extractPool(app)), Effect.ensuring(progress.stop))
  )
  const perSource = Object.entries(report.bySource)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")
  yield* Console.log(
    report.dryRun
      ? `dry run: ${report.items} item(s) would be transformed again (${perSource || "none"})`
      : `backfill: ${report.processed} item(s) transformed in ${(report.elapsedMs / 1000).toFixed(1)} s (${perSource || "none"}), ${report.failed.length} failed`
  )
  for (const failure of report.failed.slice(0, 20)) {
    yield* Console.log(`  failed ${failure.item.sourceType}/${failure.item.externalId}: ${failure.reason}`)
  }
})
