/**
 * Purge: an item removed from bronze and silver for good (a takedown, personal data, a licence that
 * ended), with an audit row in `purge_log` and a tombstone in bronze so that no scan, index line,
 * backfill, reconcile or refetch brings it back.
 *
 * Crash-safe by order, every step idempotent: (1) the intent (`purge_log`, `started`, with the
 * artifacts' sha256), (2) the tombstone, (3) the bronze artifacts deleted, (4) the silver rows deleted
 * and the row marked `done` in one transaction. `run` first completes every purge left `started`, so a
 * purge killed at any point completes on rerun.
 */
import {
  BronzePurge,
  BronzeReader,
  type BronzeIoError,
  BronzeTombstones,
  type CatalogCursor,
  type ItemKey,
  type RemovedArtifact,
  Tombstones
} from "@medallion/bronze"
import { Clock, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { CHANGED_CHANNEL } from "./ItemRepo.ts"
import { undecodableAsSqlError } from "./SilverError.ts"

export interface Selection {
  /** These items. */
  readonly items?: ReadonlyArray<ItemKey> | undefined
  /** Items of this source (with `pattern` or `olderThanMs`, or alone: all of it). */
  readonly sourceType?: string | undefined
  /** A glob over external ids (`*` any run, `?` one character), with `sourceType`. */
  readonly pattern?: string | undefined
  /** Items whose newest bronze artifact was written longer ago than this. */
  readonly olderThanMs?: number | undefined
}

export interface Request {
  /** Who asked (recorded). */
  readonly by: string
  /** Why (recorded; required). */
  readonly reason: string
  /** Lift the tombstone once done, so the item may be fetched again. */
  readonly allowRefetch?: boolean | undefined
}

export interface Planned {
  readonly item: ItemKey
  readonly artifacts: ReadonlyArray<RemovedArtifact>
  readonly inSilver: boolean
}

export interface SilverRows {
  readonly items: number
  readonly comments: number
  readonly segments: number
  readonly media: number
  readonly enrichments: number
  readonly artifacts: number
}

export interface Done {
  readonly item: ItemKey
  readonly id: string
  readonly artifacts: ReadonlyArray<RemovedArtifact>
  readonly silverRows: SilverRows
  /** Completed here after an earlier run stopped midway. */
  readonly resumed: boolean
}

/** `*` and `?` as in a shell; everything else literal; anchored. */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    "^" +
      Array.from(glob, (c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("") +
      "$",
    "su"
  )

const Artifacts = Schema.Array(Schema.Struct({ location: Schema.String, size: Schema.Number, sha256: Schema.String }))

const ExternalIdRow = Schema.Struct({ externalId: Schema.String })
const ItemKeyRow = Schema.Struct({ sourceType: Schema.String, externalId: Schema.String })

const PAGE = 5_000

/** The items of a selection, with what bronze holds of each (an item purged before only if something of it is back). */
export const plan = Effect.fn("ItemPurge.plan")(function* (
  selection: Selection
): Effect.fn.Return<ReadonlyArray<Planned>, BronzeIoError | SqlError, BronzeReader | BronzeTombstones | SqlClient> {
  const reader = yield* BronzeReader
  const sql = yield* SqlClient
  const purged = yield* (yield* BronzeTombstones).purged
  const chosen = new Map<string, ItemKey>()
  const add = (item: ItemKey) =>
    chosen.set(Tombstones.itemId(item), { sourceType: item.sourceType, externalId: item.externalId })
  for (const item of selection.items ?? []) add(item)
  if (selection.items === undefined) {
    const matches = selection.pattern === undefined ? undefined : globToRegExp(selection.pattern)
    const fits = (item: ItemKey) =>
      (selection.sourceType === undefined || item.sourceType === selection.sourceType) &&
      (matches === undefined || matches.test(item.externalId))
    // Bronze: the newest write of each matching item, from the catalog.
    const newest = new Map<string, { item: ItemKey; writtenAt: number }>()
    let cursor: CatalogCursor | undefined
    while (true) {
      const page = yield* reader.changes({ cursor, limit: PAGE })
      for (const entry of page.entries) {
        if (!fits(entry.key)) continue
        const id = Tombstones.itemId(entry.key)
        const seen = newest.get(id)
        if (seen === undefined || seen.writtenAt < entry.writtenAt)
          newest.set(id, { item: entry.key, writtenAt: entry.writtenAt })
      }
      if (page.complete || page.entries.length === 0) break
      cursor = page.cursor
    }
    const now = yield* Clock.currentTimeMillis
    for (const { item, writtenAt } of newest.values()) {
      if (selection.olderThanMs === undefined || writtenAt < now - selection.olderThanMs) add(item)
    }
    // Silver: items it knows with no artifact (listed only), for a selection by id.
    if (selection.olderThanMs === undefined && selection.sourceType !== undefined) {
      const rows = yield* SqlSchema.findAll({
        Request: Schema.String,
        Result: ExternalIdRow,
        execute: (sourceType) => sql`
        select external_id as "externalId" from items where source_type = ${sourceType}`
      })(selection.sourceType).pipe(undecodableAsSqlError("ItemPurge.plan", "items of the source"))
      for (const row of rows) {
        const item = { sourceType: selection.sourceType, externalId: row.externalId }
        if (fits(item)) add(item)
      }
    }
  }
  const keys = [...chosen.values()]
  const known = new Set<string>()
  const knownOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: ItemKeyRow,
    execute: (batch) => sql`
      select i.source_type as "sourceType", i.external_id as "externalId"
      from items i join jsonb_to_recordset(${batch}::jsonb) as k("sourceType" text, "externalId" text)
        on i.source_type = k."sourceType" and i.external_id = k."externalId"`
  })
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = JSON.stringify(keys.slice(i, i + 1000))
    const rows = yield* knownOf(batch).pipe(undecodableAsSqlError("ItemPurge.plan", "items known to silver"))
    for (const row of rows) known.add(Tombstones.itemId(row))
  }
  const planned = yield* Effect.forEach(
    keys,
    (item) =>
      Effect.map(reader.listItem(item), (listed) => ({
        item,
        artifacts: listed.map((a) => ({ location: a.location, size: a.size, sha256: a.sha256 })),
        inSilver: known.has(Tombstones.itemId(item))
      })),
    { concurrency: 4 }
  )
  // An item purged before is left out, unless something of it is back (a run that was in flight).
  return planned.filter((p) => !purged.has(Tombstones.itemId(p.item)) || p.inSilver || p.artifacts.length > 0)
})

interface Started {
  readonly id: string
  readonly item: ItemKey
  readonly artifacts: ReadonlyArray<RemovedArtifact>
  readonly allowRefetch: boolean
}

/** A `started` purge as `purge_log` holds it: `artifacts` is `jsonb`, which the driver hands over parsed. */
const StartedRow = Schema.Struct({
  id: Schema.String,
  sourceType: Schema.String,
  externalId: Schema.String,
  artifacts: Artifacts,
  allowRefetch: Schema.Boolean
})

/** The purges a killed run left `started`, oldest first. */
export const unfinished = Effect.fn("ItemPurge.unfinished")(function* () {
  const sql = yield* SqlClient
  const rows = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: StartedRow,
    execute: () => sql`select id::text as id, source_type as "sourceType", external_id as "externalId", artifacts,
            allow_refetch as "allowRefetch"
     from purge_log where state = 'started' and action = 'purge' order by id`
  })(undefined).pipe(undecodableAsSqlError("ItemPurge.unfinished"))
  return rows.map((row): Started => ({
    id: row.id,
    item: { sourceType: row.sourceType, externalId: row.externalId },
    artifacts: row.artifacts,
    allowRefetch: row.allowRefetch
  }))
})

/** The item's silver rows, counted before they are deleted (`count(*)::int`: numbers, not `bigint`s). */
const SilverRowsRow = Schema.Struct({
  items: Schema.Int,
  comments: Schema.Int,
  segments: Schema.Int,
  media: Schema.Int,
  enrichments: Schema.Int,
  artifacts: Schema.Int
})

/** Steps 2 to 4 of one item whose intent is recorded; safe to repeat. */
const complete = (started: Started, resumed: boolean) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const bronze = yield* BronzePurge
    yield* bronze.tombstone(started.item, "purged")
    const removed = yield* bronze.removeItem(started.item)
    // What a first run removed before it was killed is in the intent; what this run removed, hashed now.
    const byLocation = new Map(started.artifacts.map((a) => [a.location, a]))
    for (const artifact of removed) byLocation.set(artifact.location, artifact)
    const artifacts = [...byLocation.values()].sort((a, b) => (a.location < b.location ? -1 : 1))
    const silverRows = yield* sql.withTransaction(
      Effect.gen(function* () {
        const counts: SilverRows = yield* SqlSchema.findOne({
          Request: Schema.Void,
          Result: SilverRowsRow,
          execute: () => sql`
          select count(*)::int as items,
                 coalesce(sum((select count(*) from comments c where c.item_id = i.id)), 0)::int as comments,
                 coalesce(sum((select count(*) from transcript_segments s where s.item_id = i.id)), 0)::int as segments,
                 coalesce(sum((select count(*) from media m where m.item_id = i.id)), 0)::int as media,
                 coalesce(sum((select count(*) from enrichments e where e.item_id = i.id)), 0)::int as enrichments,
                 coalesce(sum((select count(*) from item_artifacts a where a.item_id = i.id)), 0)::int as artifacts
          from items i where i.source_type = ${started.item.sourceType} and i.external_id = ${started.item.externalId}`
        })(undefined).pipe(undecodableAsSqlError("ItemPurge.run", "silver rows of the item"))
        yield* sql`delete from items where source_type = ${started.item.sourceType}
                   and external_id = ${started.item.externalId}`
        yield* sql`update purge_log set state = 'done', finished_at = now(), xid = pg_current_xact_id(),
                     artifacts = ${JSON.stringify(artifacts)}::jsonb, silver_rows = ${JSON.stringify(counts)}::jsonb
                   where id = ${started.id}::bigint`
        yield* sql`select pg_notify(${CHANGED_CHANNEL}, ${JSON.stringify({ table: "purge_log", count: 1 })})`
        return counts
      })
    )
    if (started.allowRefetch) yield* bronze.tombstone(started.item, "lifted")
    return { item: started.item, id: started.id, artifacts, silverRows, resumed } satisfies Done
  })

/** The audit row's id (a `bigint`, selected as text). */
const PurgeIdRow = Schema.Struct({ id: Schema.String })

/** Records the intent of one purge: its audit row, `started`, with what bronze holds of it now. */
const begin = (planned: Planned, request: Request) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const row = yield* SqlSchema.findOne({
      Request: Schema.Void,
      Result: PurgeIdRow,
      execute: () => sql`
      insert into purge_log (action, state, source_type, external_id, requested_by, reason, artifacts, allow_refetch)
      values ('purge', 'started', ${planned.item.sourceType}, ${planned.item.externalId}, ${request.by},
              ${request.reason}, ${JSON.stringify(planned.artifacts)}::jsonb, ${request.allowRefetch ?? false})
      returning id::text as id`
    })(undefined).pipe(undecodableAsSqlError("ItemPurge.run", "purge_log intent"))
    return {
      id: row.id,
      item: planned.item,
      artifacts: planned.artifacts,
      allowRefetch: request.allowRefetch ?? false
    }
  })

/**
 * Completes the purges left `started`, then purges every item of `planned` (from `plan`), one at a time,
 * reporting each as it is done.
 */
export const run = Effect.fn("ItemPurge.run")(function* (
  planned: ReadonlyArray<Planned>,
  request: Request,
  onDone: (done: Done) => Effect.Effect<void> = () => Effect.void
) {
  const done: Array<Done> = []
  const left = yield* unfinished()
  const pending = new Set(left.map((s) => Tombstones.itemId(s.item)))
  for (const started of left) {
    const result = yield* complete(started, true)
    done.push(result)
    yield* onDone(result)
  }
  for (const item of planned) {
    if (pending.has(Tombstones.itemId(item.item))) continue
    const result = yield* complete(yield* begin(item, request), false)
    done.push(result)
    yield* onDone(result)
  }
  return done
})

/** Lifts the tombstones of these items (audited), so the fetch side may fetch them again. */
export const unpurge = Effect.fn("ItemPurge.unpurge")(function* (
  items: ReadonlyArray<ItemKey>,
  request: Pick<Request, "by" | "reason">
) {
  const sql = yield* SqlClient
  const bronze = yield* BronzePurge
  const tombstones = yield* BronzeTombstones
  const lifted: Array<ItemKey> = []
  for (const item of items) {
    if (!(yield* tombstones.isPurged(item))) continue
    yield* bronze.tombstone(item, "lifted")
    yield* sql`
      insert into purge_log (action, state, source_type, external_id, requested_by, reason, finished_at)
      values ('unpurge', 'done', ${item.sourceType}, ${item.externalId}, ${request.by}, ${request.reason}, now())`
    lifted.push(item)
  }
  return lifted
})
