/**
 * Backfill: the guidelines' "scheduled asset materialization". It walks the
 * whole bronze catalog (or one source, or a time range of writes), and runs a
 * job over every item it finds, in microbatches. It never reads or moves a
 * sensor's cursor, so it can run next to the live daemons: the jobs are
 * idempotent, and an item transformed twice ends in the same rows.
 *
 * Two passes: the first collects the distinct items (so progress has a total
 * and `dryRun` can stop there), the second runs the job.
 */
import type { ItemKey } from "@medallion/bronze"
import { BronzeReader, Tombstones, type BronzeIoError, type CatalogCursor, type ChangesPage } from "@medallion/bronze"
import { Clock, Effect } from "effect"
import type { Job } from "./Job.ts"

export interface BackfillOptions<E, R> {
  readonly job: Job<ItemKey, E, R>
  /** Only items of this source type. */
  readonly sourceType?: string | undefined
  /** Only artifacts written in `[since, until)` (epoch ms, the writer's clock). */
  readonly since?: number | undefined
  readonly until?: number | undefined
  readonly batchSize?: number | undefined
  /** Count only: collect the items and stop. */
  readonly dryRun?: boolean | undefined
  /** Called after each batch (and once with 0 done before the first). */
  readonly onProgress?: ((progress: BackfillProgress) => Effect.Effect<void>) | undefined
}

export interface BackfillProgress {
  readonly done: number
  readonly total: number
  readonly failed: number
  readonly elapsedMs: number
}

export interface BackfillReport {
  readonly items: number
  readonly bySource: Readonly<Record<string, number>>
  readonly processed: number
  readonly failed: ReadonlyArray<{ readonly item: ItemKey; readonly reason: string }>
  readonly dryRun: boolean
  readonly elapsedMs: number
}

const PAGE = 5_000

/** Every distinct item in the catalog that matches the filters, in catalog order. */
export const collectItems = Effect.fn("Backfill.collectItems")(function* (filters: {
  readonly sourceType?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
}): Effect.fn.Return<ReadonlyArray<ItemKey>, BronzeIoError, BronzeReader> {
  const reader = yield* BronzeReader
  // A purged item is never transformed again, whatever the catalog still lists of it.
  const purged = yield* Tombstones.purgedNow
  const seen = new Map<string, ItemKey>()
  let cursor: CatalogCursor | undefined = undefined
  while (true) {
    const page: ChangesPage = yield* reader.changes({ cursor, limit: PAGE })
    for (const entry of page.entries) {
      const key = entry.key
      if (filters.sourceType !== undefined && key.sourceType !== filters.sourceType) continue
      if (filters.since !== undefined && entry.writtenAt < filters.since) continue
      if (filters.until !== undefined && entry.writtenAt >= filters.until) continue
      const id = `${key.sourceType}\u0000${key.externalId}`
      if (purged.has(id)) continue
      if (!seen.has(id)) seen.set(id, { sourceType: key.sourceType, externalId: key.externalId })
    }
    if (page.complete || page.entries.length === 0) break
    cursor = page.cursor
  }
  return [...seen.values()]
})

export const run = Effect.fn("Backfill.run")(function* <E, R>(
  options: BackfillOptions<E, R>
): Effect.fn.Return<BackfillReport, E | BronzeIoError, R | BronzeReader> {
  const started = yield* Clock.currentTimeMillis
  const items = yield* collectItems(options)
  const bySource: Record<string, number> = {}
  for (const item of items) bySource[item.sourceType] = (bySource[item.sourceType] ?? 0) + 1
  const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
  if (options.dryRun) {
    return { items: items.length, bySource, processed: 0, failed: [], dryRun: true, elapsedMs: yield* elapsed }
  }

  const batchSize = options.batchSize ?? 100
  const failed: Array<{ item: ItemKey; reason: string }> = []
  const report = (done: number) =>
    options.onProgress === undefined
      ? Effect.void
      : Effect.flatMap(elapsed, (elapsedMs) =>
          options.onProgress!({ done, total: items.length, failed: failed.length, elapsedMs })
        )
  yield* report(0)
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize)
    const result = yield* options.job.run(batch)
    failed.push(...result.failures)
    yield* report(Math.min(i + batchSize, items.length))
  }
  return { items: items.length, bySource, processed: items.length, failed, dryRun: false, elapsedMs: yield* elapsed }
})
