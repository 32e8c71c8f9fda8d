/**
 * Moving the bronze -> silver sensor from one discovery mode to the other (`scan` <-> `index`) without
 * handing out again what it already handed out. Its cursor is mode-specific (a `(mtime, location)`
 * position or an index offset), so the stored one cannot simply be read by the other mode's sensor.
 *
 * The switch, done by the one process holding the sensor's lease (so no daemon ticks meanwhile):
 * 1. what the old cursor has not handed out yet: the scan after its position (minus its seen and early
 *    sets), or the index after its offset;
 * 2. the items bronze holds that silver has no row for, over the whole store (an artifact a scan cursor
 *    had passed with an old mtime, a run lost before it recorded anything): handed out too;
 * 3. the new cursor at the end of the new mode's catalog, and the items of 1 and 2 as requested runs,
 *    written in one transaction. The transform daemon runs them when it takes the sensor, as it does any
 *    run a previous owner left unfinished.
 * Before 3 nothing is written but index lines (idempotent), so a switch stopped midway is simply run again.
 */
import { SilverError } from "@medallion/silver"
import { type ArtifactInfo, BronzeReader, type BronzeIoError, type ItemKey, Tombstones } from "@medallion/bronze"
import { Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { IndexCursor, microbatches, ScanCursor } from "./BronzeSensor.ts"
import { DiscoveryMismatch, type LeaseLost, type SensorStoreError } from "./SensorErrors.ts"
import { SensorStore } from "./SensorStore.ts"

export type Mode = "scan" | "index"
export type BronzeCursor = ScanCursor | IndexCursor

/** Entries read per page of a walk or an index tail. */
const PAGE = 1000

/** Prefix of the run keys a switch requests (distinct from the sensor's own `scan:`/`index:` runs). */
export const RUN_KEY_PREFIX = "switch:"

export const modeOf = (cursor: BronzeCursor): Mode => (cursor._tag === "Scan" ? "scan" : "index")

const decodeCursor = Schema.decodeUnknownOption(Schema.Union([ScanCursor, IndexCursor]))

/** The sensor's stored cursor as one of the two modes' (none: no state, or one neither mode reads). */
export const storedCursor = (sensor: string) =>
  Effect.gen(function* () {
    const stored = yield* (yield* SensorStore).getCursor(sensor)
    return Option.flatMap(stored, (cursor) => decodeCursor(cursor))
  })

/**
 * Fails with `DiscoveryMismatch` when the stored cursor is the other mode's, so a daemon started after
 * bronze.discovery changed stops at once with what to do instead of failing every tick.
 */
export const assertMode = (sensor: string, configured: Mode) =>
  Effect.flatMap(storedCursor(sensor), (cursor) =>
    Option.isSome(cursor) && modeOf(cursor.value) !== configured
      ? Effect.fail(new DiscoveryMismatch({ sensor, stored: modeOf(cursor.value), configured }))
      : Effect.void
  )

/** The artifacts a scan cursor has not handed out: after its position, less its seen and early sets. */
const scanLag = (cursor: ScanCursor) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const seen = new Set(cursor.seen)
    const early = new Map((cursor.early ?? []).map((e) => [e.location, e]))
    const out: Array<ArtifactInfo> = []
    let after = cursor.mtimeMs < 0 ? undefined : { mtimeMs: cursor.mtimeMs, location: cursor.after }
    for (;;) {
      const page = yield* reader.scan({ after, limit: PAGE })
      for (const entry of page.entries) {
        if (entry.mtimeMs === cursor.mtimeMs && seen.has(entry.location)) continue
        const handed = early.get(entry.location)
        if (handed !== undefined && handed.mtimeMs === entry.mtimeMs && handed.sha256 === entry.sha256) continue
        out.push(entry)
      }
      const last = page.entries.at(-1)
      if (page.complete || last === undefined) return out
      after = { mtimeMs: last.mtimeMs, location: last.location }
    }
  })

/** The artifacts of the index after an index cursor's offset (all of them when the index was replaced). */
const indexLag = (cursor: IndexCursor) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const out: Array<ArtifactInfo> = []
    let position = { offset: cursor.offset, indexId: cursor.indexId ?? undefined }
    for (;;) {
      const page = yield* reader.tailIndex({ ...position, maxEntries: PAGE })
      out.push(...page.entries.map((entry) => entry.info))
      if (page.entries.length === 0) return out
      position = { offset: page.nextOffset, indexId: page.indexId }
    }
  })

/** What `cursor` has not handed out yet, read with its own mode. */
export const lagOf = (cursor: BronzeCursor): Effect.Effect<ReadonlyArray<ArtifactInfo>, BronzeIoError, BronzeReader> =>
  cursor._tag === "Scan" ? scanLag(cursor) : indexLag(cursor)

const KnownItem = Schema.Struct({ externalId: Schema.String })

/** Of `keys`, those silver has no row for. */
const unknownItems = (keys: ReadonlyArray<ItemKey>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const bySource = new Map<string, Set<string>>()
    for (const key of keys)
      bySource.set(key.sourceType, (bySource.get(key.sourceType) ?? new Set()).add(key.externalId))
    const known = new Set<string>()
    for (const [sourceType, ids] of bySource) {
      const rows = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: KnownItem,
        execute: () => sql`
          select external_id from items where source_type = ${sourceType} and ${sql.in("external_id", [...ids])}`
      })(undefined).pipe(SilverError.undecodableAsSqlError("DiscoverySwitch.knownItems"))
      for (const row of rows) known.add(Tombstones.itemId({ sourceType, externalId: row.externalId }))
    }
    return new Set(keys.map(Tombstones.itemId).filter((id) => !known.has(id)))
  })

/** What a walk of the whole store found: where the new cursor goes, and the artifacts of items silver lacks. */
export interface Walk {
  readonly cursor: BronzeCursor
  readonly artifacts: number
  readonly unknown: ReadonlyArray<ArtifactInfo>
}

/**
 * Walks the whole store in the new mode's order (the tree, or the index from its start): the end of the
 * walk is the new cursor; on the way, the artifacts of items silver has no row for.
 */
export const walkTo = (
  mode: Mode,
  onProgress: (artifacts: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<Walk, BronzeIoError | SqlError, BronzeReader | SqlClient> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const unknown: Array<ArtifactInfo> = []
    let artifacts = 0
    const check = (page: ReadonlyArray<ArtifactInfo>) =>
      Effect.gen(function* () {
        artifacts += page.length
        const missing = yield* unknownItems(page.map((a) => a.key))
        unknown.push(...page.filter((a) => missing.has(Tombstones.itemId(a.key))))
        yield* onProgress(artifacts)
      })
    if (mode === "index") {
      let position: { offset: number; indexId?: string | undefined } = { offset: 0 }
      let indexId: string | null = null
      for (;;) {
        const page = yield* reader.tailIndex({ ...position, maxEntries: PAGE })
        indexId = page.indexId
        yield* check(page.entries.map((entry) => entry.info))
        if (page.entries.length === 0) {
          const cursor: IndexCursor = { _tag: "Index", indexId, offset: page.nextOffset }
          return { cursor, artifacts, unknown }
        }
        position = { offset: page.nextOffset, indexId: page.indexId }
      }
    }
    let after: { mtimeMs: number; location: string } | undefined
    for (;;) {
      const page = yield* reader.scan({ after, limit: PAGE })
      yield* check(page.entries)
      const last = page.entries.at(-1)
      if (last !== undefined) after = { mtimeMs: last.mtimeMs, location: last.location }
      if (page.complete || last === undefined) {
        // Everything up to the last artifact walked is handed out (or in a requested run).
        const cursor: ScanCursor = {
          _tag: "Scan",
          mtimeMs: after?.mtimeMs ?? -1,
          after: after?.location ?? "",
          seen: [],
          reconcile: null,
          lastReconcileAt: -1
        }
        return { cursor, artifacts, unknown }
      }
    }
  })

/** What `commit` wrote. */
export interface Switched {
  readonly items: number
  readonly runs: number
}

/**
 * The new cursor and the runs of everything not handed out, in one transaction, fenced by `owner`'s
 * lease. Items a purge tombstoned are left out, as the sensor leaves them out.
 */
export const commit = (options: {
  readonly sensor: string
  readonly owner: string
  readonly cursor: BronzeCursor
  readonly artifacts: ReadonlyArray<ArtifactInfo>
  readonly batchSize: number
}): Effect.Effect<Switched, BronzeIoError | LeaseLost | SensorStoreError, SensorStore> =>
  Effect.gen(function* () {
    const store = yield* SensorStore
    const purged = yield* Tombstones.purgedNow
    const byLocation = new Map(options.artifacts.map((a) => [a.location, a]))
    const runs = microbatches(RUN_KEY_PREFIX, [...byLocation.values()], options.batchSize, purged)
    yield* store.withTransaction(
      Effect.gen(function* () {
        yield* store.assertOwner(options.sensor, options.owner)
        const existing = yield* store.existingRunKeys(
          options.sensor,
          runs.map((r) => r.runKey)
        )
        yield* store.insertRuns(
          options.sensor,
          runs.filter((r) => !existing.has(r.runKey)).map((r) => ({ runKey: r.runKey, items: r.items }))
        )
        yield* store.putCursor(options.sensor, options.owner, options.cursor)
      })
    )
    return { items: runs.reduce((n, r) => n + r.items.length, 0), runs: runs.length }
  })
