/**
 * Runs a source once: discover, then fetch every discovered item with bounded
 * concurrency. One item's failure (a typed error or even a defect) is counted
 * and reported, never the end of the batch; only interruption (shutdown) stops
 * it. The daemon drives `runOnce` on its own `Schedule`.
 *
 * Several fetch daemons share a source by sharding its items (`shard`): each
 * discovers, then fetches only the items whose id hashes to its shard. Where
 * two daemons do fetch one item anyway (no sharding, or a changed shard
 * count), bronze's write-once puts decide: the first version stored wins, and
 * the other fetch reports the item as skipped.
 */
import { ArtifactConflict, Tombstones } from "@medallion/bronze"
import { Cause, Effect, Exit } from "effect"
import * as DiscoveryFailures from "./DiscoveryFailures.ts"
import * as Shard from "./Shard.ts"
import type { DiscoveredItem, ItemFetchResult, Source } from "./Source.ts"

export interface FetchRunReport {
  readonly sourceType: string
  readonly discovered: number
  readonly fetched: number
  readonly skipped: number
  readonly failed: number
  readonly results: ReadonlyArray<ItemFetchResult>
  /**
   * The discovery documents that could not be fetched or parsed (each recorded in bronze): the source
   * went on with the others, or with the entries of the last stored version.
   */
  readonly discoveryFailures: ReadonlyArray<DiscoveryFailures.DiscoveryFailure>
  /** Set when discovery itself failed (nothing was fetched then). */
  readonly discoverError?: string | undefined
}

export interface RunOptions {
  /** Items fetched at the same time (default 4); per-host limits still apply underneath. */
  readonly concurrency?: number | undefined
  /** Fetch only the discovered items of this shard (default: all of them). */
  readonly shard?: Shard.Shard | undefined
  /** The source's name in logs (the operator's name for it; default its source type). */
  readonly name?: string | undefined
}

/** Whether a failure is bronze refusing a second, different version of an artifact another writer stored first. */
const isConcurrentWrite = (cause: Cause.Cause<unknown>): boolean => {
  const error = Cause.squash(cause)
  // A source may wrap bronze's error in its own: one level of `cause` is looked through.
  return error instanceof ArtifactConflict || (error instanceof Error && error.cause instanceof ArtifactConflict)
}

const settle = <R>(source: Source<R>, item: DiscoveredItem): Effect.Effect<ItemFetchResult, never, R> =>
  Effect.flatMap(Effect.exit(source.fetchItem(item)), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
    if (Cause.hasInterruptsOnly(exit.cause)) return Effect.failCause(exit.cause as Cause.Cause<never>)
    if (isConcurrentWrite(exit.cause)) {
      return Effect.as(Effect.logInfo(`${source.sourceType}/${item.externalId} was stored first by another fetcher`), {
        externalId: item.externalId,
        outcome: "skipped" as const,
        written: [],
        reason: "stored concurrently by another fetcher"
      })
    }
    const reason = Cause.pretty(exit.cause).split("\n")[0] ?? "unknown failure"
    return Effect.as(Effect.logWarning(`fetch of ${source.sourceType}/${item.externalId} failed`, exit.cause), {
      externalId: item.externalId,
      outcome: "failed" as const,
      written: [],
      reason
    })
  })

/** Discovers and fetches once; the report says what happened to every item. */
export const runOnce = <R>(source: Source<R>, options: RunOptions = {}): Effect.Effect<FetchRunReport, never, R> =>
  Effect.gen(function* () {
    const name = options.name ?? source.sourceType
    const discovered = yield* Effect.result(DiscoveryFailures.collect(source.discover))
    if (discovered._tag === "Failure") {
      yield* Effect.logWarning(`source ${name}: discovery failed: ${discovered.failure.message}`)
      return {
        sourceType: source.sourceType,
        discovered: 0,
        fetched: 0,
        skipped: 0,
        failed: 0,
        results: [],
        discoveryFailures: [],
        discoverError: discovered.failure.message
      }
    }
    const [items, failures] = discovered.success
    for (const failure of failures) {
      yield* Effect.logWarning(
        `source ${name}: discovery of ${failure.artifact}${failure.url === undefined ? "" : ` ${failure.url}`} failed: ${failure.reason}: ${failure.message} [${failure.location}]`
      )
    }
    const shard = options.shard
    const mine =
      shard === undefined ? items : items.filter((item) => Shard.owns(shard, source.sourceType, item.externalId))
    const report = yield* fetchAll(source, mine, options)
    return { ...report, discoveryFailures: failures }
  }).pipe(Effect.withSpan("FetchWorker.runOnce", { attributes: { sourceType: source.sourceType } }))

/**
 * The items an operator purged: never fetched again while their tombstone stands. When the tombstones
 * cannot be read, the writer still refuses a purged item's artifacts (it reads them itself).
 */
const purgedItems = Effect.catch(Tombstones.purgedNow, (error) =>
  Effect.as(
    Effect.logWarning(`bronze tombstones not readable, the writer still checks them: ${error.message}`),
    new Set<string>()
  )
)

const purgedResult = (item: DiscoveredItem): ItemFetchResult => ({
  externalId: item.externalId,
  outcome: "skipped",
  written: [],
  reason: "purged from bronze (medallion unpurge allows it again)"
})

/** Fetches the given items (e.g. a backfill list) without discovering. Purged items are skipped. */
export const fetchAll = <R>(
  source: Source<R>,
  items: ReadonlyArray<DiscoveredItem>,
  options: RunOptions = {}
): Effect.Effect<FetchRunReport, never, R> =>
  Effect.map(
    Effect.flatMap(purgedItems, (purged) =>
      Effect.forEach(
        items,
        (item) =>
          purged.has(Tombstones.itemId({ sourceType: source.sourceType, externalId: item.externalId }))
            ? Effect.succeed(purgedResult(item))
            : settle(source, item),
        { concurrency: options.concurrency ?? 4 }
      )
    ),
    (results): FetchRunReport => ({
      sourceType: source.sourceType,
      discovered: items.length,
      fetched: results.filter((r) => r.outcome === "fetched").length,
      skipped: results.filter((r) => r.outcome === "skipped").length,
      failed: results.filter((r) => r.outcome === "failed").length,
      results,
      discoveryFailures: []
    })
  )
