/**
 * The bronze -> silver sensor: reads the bronze catalog through `BronzeReader` only and requests runs of
 * item keys, in microbatches, with run keys derived from the content of each batch (sha256 of its sorted
 * `(location, sha256)` pairs), so re-evaluating after a crash gives the same keys.
 *
 * Scan mode (below ~100k items): cursor = `(mtimeMs, after, seen)`. Artifacts sort by `(mtimeMs,
 * location)`; the sensor never advances past `now - settle` (an artifact still being written, or stamped
 * by a writer whose clock is behind, shows up later with an older mtime) and remembers the locations it
 * already handed out at the boundary mtime (the seen-set), so an artifact with the same mtime that appears
 * after the tick is still found. A tick pages: it stops at its budget and resumes from its position.
 * Artifacts renamed in with an mtime older than the cursor are found by the periodic full reconcile pass.
 *
 * The settle window guards two things: completeness (a file written in place may still grow) and order
 * (a file may become visible after one with a later mtime). Artifacts the store linked into place whole
 * (`linked`) need no wait for the first: a tick hands them out at once, without moving the cursor over
 * them, and remembers them (location, mtime, hash) in `early`, so the cursor passes them later without
 * requesting them again (unless their content changed). Order stays guarded by the cursor. An artifact
 * that must wait names its settle deadline (`wakeAt`), so the runner ticks again when it settles.
 *
 * Index mode (above): cursor = `(indexId, offset)` into `_index.jsonl`. A torn last line is not consumed;
 * a replaced index (another identity) restarts from 0, with a warning in the tick reason; run-key dedup
 * and idempotent runs absorb the repeats.
 */
import { createHash } from "node:crypto"
import {
  BronzeReader,
  ItemKey,
  type ArtifactInfo,
  type BronzeIoError,
  type ScanPage,
  type ScannedArtifact
} from "@medallion/bronze"
import { Duration, Effect, Schema, type Stream } from "effect"
import type { Job } from "./Job.ts"
import * as Sensor from "./Sensor.ts"

export const ScanCursor = Schema.Struct({
  _tag: Schema.tag("Scan"),
  /** Mtime of the last artifact handed out; -1 before the first. */
  mtimeMs: Schema.Number,
  /** Location position within `mtimeMs` ("" = before every location); set only if the seen-set overflowed. */
  after: Schema.String,
  /** Locations at `mtimeMs` (after `after`) already handed out. */
  seen: Schema.Array(Schema.String),
  /** The reconcile pass in progress, if any. */
  reconcile: Schema.NullOr(
    Schema.Struct({ pass: Schema.Number, mtimeMs: Schema.Number, location: Schema.String, upTo: Schema.Number })
  ),
  /** When the last reconcile pass started (sensor clock); -1 before the first tick. */
  lastReconcileAt: Schema.Number,
  /** Linked artifacts above the settle horizon already handed out; absent in cursors of older versions. */
  early: Schema.optionalKey(
    Schema.Array(Schema.Struct({ location: Schema.String, mtimeMs: Schema.Number, sha256: Schema.String }))
  )
})
export type ScanCursor = typeof ScanCursor.Type

export const IndexCursor = Schema.Struct({
  _tag: Schema.tag("Index"),
  indexId: Schema.NullOr(Schema.String),
  offset: Schema.Int
})
export type IndexCursor = typeof IndexCursor.Type

export const initialScan: ScanCursor = {
  _tag: "Scan",
  mtimeMs: -1,
  after: "",
  seen: [],
  reconcile: null,
  lastReconcileAt: -1
}
export const initialIndex: IndexCursor = { _tag: "Index", indexId: null, offset: 0 }

interface CommonOptions<JE, JR> {
  readonly name: string
  /** The job that turns a microbatch of item keys into silver rows (idempotent). */
  readonly job: Job<ItemKey, JE, JR>
  /** Items per run (default 100). */
  readonly batchSize?: number | undefined
  readonly maxRunsPerTick?: number | undefined
  readonly minInterval?: Duration.Input | undefined
  readonly tickTimeout?: Duration.Input | undefined
  readonly wake?: Stream.Stream<unknown, never, JR> | undefined
}

export interface ScanOptions<JE, JR> extends CommonOptions<JE, JR> {
  /** How long an artifact's mtime must be in the past before the cursor may pass it (default 5 s). */
  readonly settle?: Duration.Input | undefined
  /** Locations remembered at the boundary mtime before falling back to a location position (default 500). */
  readonly maxSeen?: number | undefined
  /**
   * Linked artifacts (complete by construction) handed out before their settle window has passed, at most
   * this many at a time (default 100); beyond it, or with 0, they wait for the window like any file.
   */
  readonly maxEarly?: number | undefined
  /** How often a full reconcile pass re-requests everything below the cursor (default 24 h; null: never). */
  readonly reconcileEvery?: Duration.Input | null | undefined
  /**
   * Optional filter for the reconcile pass: the locations (of those given) that were already processed,
   * e.g. from silver's provenance table in one query. Without it a pass re-requests every artifact, which
   * idempotent runs absorb.
   */
  readonly known?:
    ((artifacts: ReadonlyArray<ArtifactInfo>) => Effect.Effect<ReadonlySet<string>, never, JR>) | undefined
}

const hashBatch = (prefix: string, artifacts: ReadonlyArray<ArtifactInfo>): string => {
  const hash = createHash("sha256")
  for (const pair of artifacts.map((a) => `${a.location}\u0000${a.sha256}`).sort()) hash.update(pair).update("\n")
  return `${prefix}${hash.digest("hex")}`
}

const itemId = (key: ItemKey) => `${key.sourceType}\u0000${key.externalId}`

/** Groups artifacts by item, in catalog order, into runs of at most `batchSize` items. */
export const microbatches = (
  prefix: string,
  artifacts: ReadonlyArray<ArtifactInfo>,
  batchSize: number
): Array<Sensor.RunRequest<ItemKey>> => {
  const items = new Map<string, { key: ItemKey; artifacts: Array<ArtifactInfo> }>()
  for (const artifact of artifacts) {
    const key = { sourceType: artifact.key.sourceType, externalId: artifact.key.externalId }
    const entry = items.get(itemId(key)) ?? { key, artifacts: [] }
    entry.artifacts.push(artifact)
    items.set(itemId(key), entry)
  }
  const all = [...items.values()]
  const runs: Array<Sensor.RunRequest<ItemKey>> = []
  for (let i = 0; i < all.length; i += batchSize) {
    const batch = all.slice(i, i + batchSize)
    runs.push({
      runKey: hashBatch(
        prefix,
        batch.flatMap((item) => item.artifacts)
      ),
      items: batch.map((item) => item.key)
    })
  }
  return runs
}

/**
 * A page's entries and its unresolved artifacts (no id can be named for them) in scan order: both are
 * positions the cursor passes; the unresolved ones are quarantined, with their reason, instead of run.
 */
type Position =
  | { readonly _tag: "Artifact"; readonly mtimeMs: number; readonly location: string; readonly entry: ScannedArtifact }
  | { readonly _tag: "Unresolved"; readonly mtimeMs: number; readonly location: string; readonly reason: string }

const positionsOf = (page: ScanPage): Array<Position> =>
  [
    ...page.entries.map((entry) => ({
      _tag: "Artifact" as const,
      mtimeMs: entry.mtimeMs,
      location: entry.location,
      entry
    })),
    ...(page.unresolved ?? []).map((u) => ({ _tag: "Unresolved" as const, ...u }))
  ].sort((a, b) =>
    a.mtimeMs !== b.mtimeMs ? a.mtimeMs - b.mtimeMs : a.location < b.location ? -1 : a.location > b.location ? 1 : 0
  )

const artifactsOf = (positions: ReadonlyArray<Position>): Array<ScannedArtifact> =>
  positions.flatMap((p) => (p._tag === "Artifact" ? [p.entry] : []))

const quarantinedOf = (positions: ReadonlyArray<Position>): Array<Sensor.Quarantined> =>
  positions.flatMap((p) =>
    p._tag === "Unresolved" ? [{ item: p.location, reason: `no item id can be named for it: ${p.reason}` }] : []
  )

const strip = <A extends ArtifactInfo>(artifact: A): ArtifactInfo => ({
  key: artifact.key,
  size: artifact.size,
  sha256: artifact.sha256,
  writtenAt: artifact.writtenAt,
  location: artifact.location
})

/** The evaluation of a scan-mode tick, exported so it can be tested (and reused) on its own. */
export const evaluateScan = <JR>(
  options: {
    readonly batchSize: number
    readonly settleMs: number
    readonly maxSeen: number
    /** See `ScanOptions.maxEarly` (default 100). */
    readonly maxEarly?: number | undefined
    readonly reconcileEveryMs: number | null
    readonly known?: ScanOptions<unknown, JR>["known"]
  },
  cursor: ScanCursor,
  context: Sensor.EvaluationContext
): Effect.Effect<Sensor.Evaluation<ScanCursor, ItemKey>, BronzeIoError, BronzeReader | JR> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const budget = context.maxRuns * options.batchSize
    const horizon = context.now - options.settleMs

    const maxEarly = options.maxEarly ?? 100
    const early = cursor.early ?? []
    const page = yield* reader.scan({
      after: cursor.mtimeMs < 0 ? undefined : { mtimeMs: cursor.mtimeMs, location: cursor.after },
      limit: budget + cursor.seen.length + early.length
    })
    const seen = new Set(cursor.seen)
    const earlyAt = new Map(early.map((e) => [e.location, e]))
    const handedOut = (entry: Position) => {
      const prior = earlyAt.get(entry.location)
      return (
        prior !== undefined &&
        entry._tag === "Artifact" &&
        prior.mtimeMs === entry.mtimeMs &&
        prior.sha256 === entry.entry.sha256
      )
    }
    /** Settled positions the cursor passes; of them and of the unsettled linked ones, those requested. */
    const fresh: Array<Position> = []
    const requested: Array<Position> = []
    const passedEarly = new Set<string>()
    const handedNow: Array<{ location: string; mtimeMs: number; sha256: string }> = []
    let waitingSince: number | undefined
    for (const entry of positionsOf(page)) {
      if (entry.mtimeMs > horizon) {
        if (entry._tag === "Artifact" && entry.entry.linked === true) {
          if (handedOut(entry)) continue
          if (requested.length < budget && early.length + handedNow.length < maxEarly) {
            requested.push(entry)
            handedNow.push({ location: entry.location, mtimeMs: entry.mtimeMs, sha256: entry.entry.sha256 })
            continue
          }
        }
        waitingSince ??= entry.mtimeMs
        continue
      }
      if (fresh.length >= budget) break
      if (entry.mtimeMs === cursor.mtimeMs && seen.has(entry.location)) continue
      fresh.push(entry)
      if (handedOut(entry)) passedEarly.add(entry.location)
      else requested.push(entry)
    }
    const quarantined = quarantinedOf(fresh)

    let next: ScanCursor = cursor.lastReconcileAt < 0 ? { ...cursor, lastReconcileAt: context.now } : cursor
    if (fresh.length > 0) {
      const last = fresh[fresh.length - 1]!
      const atLast = fresh.filter((entry) => entry.mtimeMs === last.mtimeMs).map((entry) => entry.location)
      const sameMtime = last.mtimeMs === cursor.mtimeMs
      let seenNext = sameMtime ? [...cursor.seen, ...atLast] : atLast
      let after = sameMtime ? cursor.after : ""
      // Many artifacts with one mtime (a bulk copy on a coarse clock): keep the cursor small with a
      // location position instead; late arrivals at that mtime are left to the settle window and reconcile.
      if (seenNext.length > options.maxSeen) {
        after = last.location
        seenNext = []
      }
      next = { ...next, mtimeMs: last.mtimeMs, after, seen: seenNext }
    }
    // Early entries stay until the cursor passes them; one re-handed (its content changed) is replaced.
    const rehanded = new Set(handedNow.map((e) => e.location))
    const earlyNext = [
      ...early.filter((e) => !passedEarly.has(e.location) && !rehanded.has(e.location) && e.mtimeMs >= next.mtimeMs),
      ...handedNow
    ]
    const { early: _, ...withoutEarly } = next
    next = earlyNext.length > 0 ? { ...withoutEarly, early: earlyNext } : withoutEarly
    const runs = microbatches("scan:", artifactsOf(requested).map(strip), options.batchSize)
    // Tick again when the oldest artifact left waiting settles; or, with none, when the early ones do,
    // so the cursor passes them and the early set drains.
    const deadline = waitingSince ?? (earlyNext.length > 0 ? Math.min(...earlyNext.map((e) => e.mtimeMs)) : undefined)
    const wakeAt = deadline === undefined ? undefined : deadline + options.settleMs

    // The backstop: a paged pass over everything below the cursor, for artifacts that arrived with old mtimes.
    let reconcileNote: string | undefined
    const remainingRuns = context.maxRuns - runs.length
    if (
      next.reconcile === null &&
      options.reconcileEveryMs !== null &&
      next.mtimeMs >= 0 &&
      context.now - next.lastReconcileAt >= options.reconcileEveryMs
    ) {
      next = {
        ...next,
        reconcile: { pass: context.now, mtimeMs: -1, location: "", upTo: next.mtimeMs },
        lastReconcileAt: context.now
      }
    }
    if (next.reconcile !== null && remainingRuns > 0) {
      const pass = next.reconcile
      const reconcilePage = yield* reader.scan({
        after: pass.mtimeMs < 0 ? undefined : { mtimeMs: pass.mtimeMs, location: pass.location },
        limit: remainingRuns * options.batchSize
      })
      const positions = positionsOf(reconcilePage)
      const inRangePositions = positions.filter((entry) => entry.mtimeMs <= pass.upTo)
      const inRange = artifactsOf(inRangePositions)
      const done = reconcilePage.complete || inRangePositions.length < positions.length
      quarantined.push(...quarantinedOf(inRangePositions))
      const known = options.known ? yield* options.known(inRange.map(strip)) : new Set<string>()
      const missing = inRange.filter((entry) => !known.has(entry.location))
      runs.push(...microbatches(`reconcile:${pass.pass}:`, missing.map(strip), options.batchSize))
      const lastSeen = inRangePositions[inRangePositions.length - 1]
      next = {
        ...next,
        reconcile:
          done || lastSeen === undefined ? null : { ...pass, mtimeMs: lastSeen.mtimeMs, location: lastSeen.location }
      }
      reconcileNote = done ? `reconcile pass ${pass.pass} finished` : `reconcile pass ${pass.pass} in progress`
      if (missing.length > 0) reconcileNote += `: ${missing.length} artifacts re-requested`
    }

    if (runs.length === 0) {
      return Sensor.skip(
        reconcileNote ?? `no settled artifacts after mtime ${cursor.mtimeMs}`,
        next,
        quarantined,
        wakeAt
      )
    }
    return Sensor.runs(runs, next, reconcileNote, quarantined, wakeAt)
  })

/** The evaluation of an index-mode tick. */
export const evaluateIndex = (
  options: { readonly batchSize: number },
  cursor: IndexCursor,
  context: Sensor.EvaluationContext
): Effect.Effect<Sensor.Evaluation<IndexCursor, ItemKey>, BronzeIoError, BronzeReader> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const page = yield* reader.tailIndex({
      offset: cursor.offset,
      indexId: cursor.indexId ?? undefined,
      maxEntries: context.maxRuns * options.batchSize
    })
    const next: IndexCursor = { _tag: "Index", indexId: page.indexId, offset: page.nextOffset }
    const warning =
      page.replaced && cursor.indexId !== null
        ? `warning: the index was replaced (was ${cursor.indexId}, now ${page.indexId}); restarted from offset 0`
        : undefined
    if (page.entries.length === 0) return Sensor.skip(warning ?? `no index lines after offset ${cursor.offset}`, next)
    const runs = microbatches(
      "index:",
      page.entries.map((entry) => entry.info),
      options.batchSize
    )
    return Sensor.runs(runs, next, warning)
  })

/** A scan-mode bronze -> silver sensor. */
export const scan = <JE, JR>(options: ScanOptions<JE, JR>) => {
  const batchSize = options.batchSize ?? 100
  const settleMs = Duration.toMillis(Duration.fromInputUnsafe(options.settle ?? Duration.seconds(5)))
  const reconcileEveryMs =
    options.reconcileEvery === null
      ? null
      : Duration.toMillis(Duration.fromInputUnsafe(options.reconcileEvery ?? Duration.hours(24)))
  return Sensor.make({
    name: options.name,
    cursor: ScanCursor,
    initial: initialScan,
    evaluate: (cursor: ScanCursor, context: Sensor.EvaluationContext) =>
      evaluateScan(
        {
          batchSize,
          settleMs,
          maxSeen: options.maxSeen ?? 500,
          maxEarly: options.maxEarly,
          reconcileEveryMs,
          known: options.known
        },
        cursor,
        context
      ),
    job: options.job,
    minInterval: options.minInterval,
    tickTimeout: options.tickTimeout,
    maxRunsPerTick: options.maxRunsPerTick ?? 10,
    wake: options.wake
  })
}

/** An index-mode bronze -> silver sensor. */
export const index = <JE, JR>(options: CommonOptions<JE, JR>) => {
  const batchSize = options.batchSize ?? 100
  return Sensor.make({
    name: options.name,
    cursor: IndexCursor,
    initial: initialIndex,
    evaluate: (cursor: IndexCursor, context: Sensor.EvaluationContext) => evaluateIndex({ batchSize }, cursor, context),
    job: options.job,
    minInterval: options.minInterval,
    tickTimeout: options.tickTimeout,
    maxRunsPerTick: options.maxRunsPerTick ?? 10,
    wake: options.wake
  })
}
