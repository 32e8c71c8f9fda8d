import type { ItemKey } from "@medallion/bronze"
import { Backfill } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { TransformConfig } from "@medallion/transform-daemon"
import { SourcePlugins } from "@medallion/workers/plugins"
import { Clock, Console, Effect, Option } from "effect"
import * as App from "../App.ts"
import { Refused } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"
import * as Progress from "../Progress.ts"

const PAGE = 1_000

/**
 * The items silver holds from an older version of their source's transform (`--stale`), per
 * transform of the configuration's plug-ins, by id: after one source's transform changed, only its
 * items are transformed again.
 */
const staleItems = (app: App.App, sourceType: string | undefined) =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const items: Array<ItemKey> = []
    for (const transform of SourcePlugins.transforms(App.plugins(app)).values()) {
      if (sourceType !== undefined && transform.sourceType !== sourceType) continue
      let afterId: number | undefined = undefined
      while (true) {
        const page: ReadonlyArray<{ readonly id: number; readonly sourceType: string; readonly externalId: string }> =
          yield* repo.stale({
            sourceType: transform.sourceType,
            currentVersion: transform.version,
            limit: PAGE,
            afterId
          })
        items.push(...page.map((i) => ({ sourceType: i.sourceType, externalId: i.externalId })))
        if (page.length < PAGE) break
        afterId = page[page.length - 1]!.id
      }
    }
    return items
  })

const staleBackfill = (
  app: App.App,
  options: {
    readonly sourceType: string | undefined
    readonly batchSize: number
    readonly dryRun: boolean
    readonly onProgress: (progress: Backfill.BackfillProgress) => Effect.Effect<void>
  }
) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
    const items = yield* staleItems(app, options.sourceType)
    const bySource: Record<string, number> = {}
    for (const item of items) bySource[item.sourceType] = (bySource[item.sourceType] ?? 0) + 1
    const failed: Array<{ readonly item: ItemKey; readonly reason: string }> = []
    if (!options.dryRun) {
      const job = TransformConfig.transformJob(app.config, App.plugins(app))
      for (let i = 0; i < items.length; i += options.batchSize) {
        yield* options.onProgress({ done: i, total: items.length, failed: failed.length, elapsedMs: yield* elapsed })
        failed.push(...(yield* job.run(items.slice(i, i + options.batchSize))).failures)
      }
      yield* options.onProgress({
        done: items.length,
        total: items.length,
        failed: failed.length,
        elapsedMs: yield* elapsed
      })
    }
    return {
      items: items.length,
      bySource,
      processed: options.dryRun ? 0 : items.length,
      failed,
      dryRun: options.dryRun,
      elapsedMs: yield* elapsed
    } satisfies Backfill.BackfillReport
  })

/** What `medallion backfill` runs (its definition: ../definitions/Backfill.ts). */
export const handler = Effect.fn(function* ({
  source,
  since,
  until,
  dryRun,
  batchSize,
  stale
}: {
  readonly source: Option.Option<string>
  readonly since: Option.Option<number>
  readonly until: Option.Option<number>
  readonly dryRun: boolean
  readonly batchSize: number
  readonly stale: boolean
}) {
  if (stale && (Option.isSome(since) || Option.isSome(until)))
    return yield* new Refused({
      message: "--stale selects items by their transform version; it does not combine with --since or --until"
    })
  const progress = Progress.make({ label: "backfill", unit: "items" })
  const report = yield* Operations.run((app) =>
    (stale
      ? staleBackfill(app, {
          sourceType: Option.getOrUndefined(source),
          batchSize,
          dryRun,
          onProgress: (p) =>
            progress.update({ done: p.done, total: p.total, elapsedMs: p.elapsedMs, counts: { failed: p.failed } })
        })
      : Backfill.run({
          job: TransformConfig.transformJob(app.config, App.plugins(app)),
          sourceType: Option.getOrUndefined(source),
          since: Option.getOrUndefined(since),
          until: Option.getOrUndefined(until),
          batchSize,
          dryRun,
          onProgress: (p) =>
            progress.update({ done: p.done, total: p.total, elapsedMs: p.elapsedMs, counts: { failed: p.failed } })
        })
    ).pipe(Effect.provide(TransformConfig.extractPool(app.config)), Effect.ensuring(progress.stop))
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
