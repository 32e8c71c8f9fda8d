import { Backfill } from "@medallion/sensors"
import { SingleBar } from "cli-progress"
import { Console, Effect, Option } from "effect"
import * as Operations from "../Operations.ts"
import * as TransformWiring from "../TransformWiring.ts"

/** A progress bar with rate and ETA on a terminal; a plain line per tenth otherwise (logs, CI). */
const progressReporter = () => {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format:
        "backfill [{bar}] {percentage}% | {value}/{total} items | {rate} items/s | ETA {eta_formatted} | failed {failed}",
      stream: process.stderr,
      hideCursor: true
    })
    let started = false
    return {
      report: (p: Backfill.BackfillProgress) =>
        Effect.sync(() => {
          if (!started) {
            bar.start(p.total, 0, { rate: "0", failed: 0 })
            started = true
          }
          const rate = p.elapsedMs > 0 ? ((p.done / p.elapsedMs) * 1000).toFixed(1) : "0"
          bar.update(p.done, { rate, failed: p.failed })
        }),
      stop: Effect.sync(() => started && bar.stop())
    }
  }
  let lastTenth = -1
  return {
    report: (p: Backfill.BackfillProgress) => {
      const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10)
      if (tenth === lastTenth) return Effect.void
      lastTenth = tenth
      const rate = p.elapsedMs > 0 ? (p.done / p.elapsedMs) * 1000 : 0
      const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : undefined
      return Console.error(
        `backfill ${p.done}/${p.total} items, ${rate.toFixed(1)} items/s, ${p.failed} failed${eta === undefined ? "" : `, ETA ${eta} s`}`
      )
    },
    stop: Effect.void
  }
}

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
  const progress = progressReporter()
  const report = yield* Operations.run((app) =>
    Backfill.run({
      job: TransformWiring.transformJob(app),
      sourceType: Option.getOrUndefined(source),
      since: Option.getOrUndefined(since),
      until: Option.getOrUndefined(until),
      batchSize,
      dryRun,
      onProgress: progress.report
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
