/**
 * Retention: the old versions of refetched artifacts (a comment thread fetched every day, a feed, a
 * page that changes) removed from bronze by a per-source policy, with `purge`'s machinery and audit
 * trail: one `purge_log` row per item (`action = 'retention'`, the location, size and sha256 of each
 * removed artifact, never its content), and `BronzePurge.removeArtifacts` to delete.
 *
 * Never removed: the newest version of each artifact name, and any version silver derives from (an
 * `item_artifacts` row names its location), however old. Silver's rows are not touched: retention
 * removes only what no row comes from.
 *
 * Crash-safe by order, as a purge: (1) the intent (`started`, with what is to go), (2) the deletion,
 * (3) the row marked `done` with what was removed. `run` first completes every retention left
 * `started` (checking again that silver does not derive from what it lists), so a pass killed at any
 * point completes on rerun. A removed version is gone from the item's folder, so no scan, reconcile,
 * backfill or transform sees it again; the index keeps its line (append-only), and the transform lists
 * the folder, never the index, to find an item's artifacts.
 */
import {
  ArtifactVersions,
  BronzePurge,
  BronzeReader,
  type ArtifactInfo,
  type ArtifactKey,
  type BronzeIoError,
  BronzeTombstones,
  type CatalogCursor,
  causeChain,
  type ItemKey,
  parseFileName,
  type RemovedArtifact,
  Tombstones
} from "@medallion/bronze"
import { Clock, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { undecodableAsSqlError } from "./SilverError.ts"

export interface Request {
  /** Who asked (recorded): an operator, or the daemon whose schedule ran it. */
  readonly by: string
  /** Why (recorded): the policy, as `describePolicy` words it. */
  readonly reason: string
}

export interface Planned {
  readonly item: ItemKey
  /** The versions beyond the policy, oldest location first. */
  readonly artifacts: ReadonlyArray<ArtifactInfo>
}

export interface Done {
  readonly item: ItemKey
  readonly id: string
  readonly artifacts: ReadonlyArray<RemovedArtifact>
  /** Completed here after an earlier pass stopped midway. */
  readonly resumed: boolean
}

/** An item whose retention failed (a store or database error): the pass goes on with the others. */
export interface Failed {
  readonly item: ItemKey
  readonly reason: string
}

export interface Report {
  readonly done: ReadonlyArray<Done>
  readonly failed: ReadonlyArray<Failed>
}

/** `keep the newest 3 versions, or those younger than 30 days`: how the audit trail and the logs say it. */
export const describePolicy = (policy: ArtifactVersions.RetentionPolicy, keepFor?: string): string => {
  const rules = [
    policy.keepVersions === undefined ? undefined : `the newest ${policy.keepVersions} version(s)`,
    policy.keepForMs === undefined ? undefined : `those younger than ${keepFor ?? `${policy.keepForMs} ms`}`
  ].filter((r): r is string => r !== undefined)
  return `retention: keep ${rules.join(", or ")} of each artifact (and always the newest, and what silver derives from)`
}

const Artifacts = Schema.Array(Schema.Struct({ location: Schema.String, size: Schema.Number, sha256: Schema.String }))

const LocationRow = Schema.Struct({ location: Schema.String })

const PAGE = 5_000

/** The locations among `artifacts` that a silver row derives from (any item's: a feed entry names its feed's document). */
const pinnedLocations = (artifacts: ReadonlyArray<{ readonly location: string; readonly sha256: string }>) =>
  Effect.gen(function* () {
    if (artifacts.length === 0) return new Set<string>()
    const sql = yield* SqlClient
    const shas = JSON.stringify([...new Set(artifacts.map((a) => a.sha256))])
    const rows = yield* SqlSchema.findAll({
      Request: Schema.String,
      Result: LocationRow,
      execute: (shas) => sql`
      select distinct location from item_artifacts
      where sha256 in (select jsonb_array_elements_text(${shas}::jsonb))`
    })(shas).pipe(undecodableAsSqlError("ItemRetention.pinnedLocations"))
    return new Set(rows.map((r) => r.location))
  })

/** The items of a source in the catalog, each once. */
const itemsOf = (sourceType: string) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const items = new Map<string, ItemKey>()
    let cursor: CatalogCursor | undefined
    while (true) {
      const page = yield* reader.changes({ cursor, limit: PAGE })
      for (const entry of page.entries) {
        if (entry.key.sourceType !== sourceType) continue
        const id = Tombstones.itemId(entry.key)
        if (!items.has(id)) items.set(id, { sourceType, externalId: entry.key.externalId })
      }
      if (page.complete || page.entries.length === 0) break
      cursor = page.cursor
    }
    return [...items.values()]
  })

/**
 * For each item of `sourceType` in bronze (purged ones left out), the versions beyond `policy` that
 * silver does not derive from. Reads only: planning deletes nothing and writes nothing.
 */
export const plan = Effect.fn("ItemRetention.plan")(function* (
  sourceType: string,
  policy: ArtifactVersions.RetentionPolicy
): Effect.fn.Return<ReadonlyArray<Planned>, BronzeIoError | SqlError, BronzeReader | BronzeTombstones | SqlClient> {
  const reader = yield* BronzeReader
  const purged = yield* (yield* BronzeTombstones).purged
  const now = yield* Clock.currentTimeMillis
  const items = (yield* itemsOf(sourceType)).filter((item) => !purged.has(Tombstones.itemId(item)))
  const planned = yield* Effect.forEach(
    items,
    (item): Effect.Effect<Planned | undefined, BronzeIoError | SqlError, BronzeReader | SqlClient> =>
      Effect.gen(function* () {
        const listed = yield* reader.listItem(item)
        const candidates = ArtifactVersions.beyondPolicy(listed, policy, now)
        if (candidates.length === 0) return undefined
        const pinned = yield* pinnedLocations(candidates)
        const artifacts = candidates.filter((a) => !pinned.has(a.location))
        return artifacts.length === 0 ? undefined : { item, artifacts }
      }),
    { concurrency: 4 }
  )
  return planned.filter((p): p is Planned => p !== undefined)
})

interface Started {
  readonly id: string
  readonly item: ItemKey
  readonly artifacts: ReadonlyArray<RemovedArtifact>
}

/** A `started` retention as `purge_log` holds it: `artifacts` is `jsonb`, which the driver hands over parsed. */
const StartedRow = Schema.Struct({
  id: Schema.String,
  sourceType: Schema.String,
  externalId: Schema.String,
  artifacts: Artifacts
})

/** The retention passes a killed run left `started`, oldest first. */
export const unfinished = Effect.fn("ItemRetention.unfinished")(function* () {
  const sql = yield* SqlClient
  const rows = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: StartedRow,
    execute: () => sql`
    select id::text as id, source_type as "sourceType", external_id as "externalId", artifacts
    from purge_log where state = 'started' and action = 'retention' order by id`
  })(undefined).pipe(undecodableAsSqlError("ItemRetention.unfinished"))
  return rows.map((row): Started => ({
    id: row.id,
    item: { sourceType: row.sourceType, externalId: row.externalId },
    artifacts: row.artifacts
  }))
})

/** The key of an artifact of `item` at `location` (its file name carries the type and extension). */
const keyAt = (item: ItemKey, location: string): ArtifactKey | undefined => {
  const parsed = parseFileName(location.slice(location.lastIndexOf("/") + 1))
  return parsed._tag === "Some" ? { ...item, ...parsed.value } : undefined
}

/** Steps 2 and 3 of one item whose intent is recorded; safe to repeat. */
const complete = (started: Started, resumed: boolean) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const bronze = yield* BronzePurge
    // A transform since the intent may have come to derive from one of them (a newer version went bad).
    const pinned = yield* pinnedLocations(started.artifacts)
    const going = started.artifacts.filter((a) => !pinned.has(a.location))
    const keys = going.flatMap((a) => {
      const key = keyAt(started.item, a.location)
      return key === undefined ? [] : [key]
    })
    const removed = keys.length === 0 ? [] : yield* bronze.removeArtifacts(keys)
    // What a first run removed before it was killed is in the intent; what this run removed, hashed now.
    const byLocation = new Map(going.map((a) => [a.location, a]))
    for (const artifact of removed) byLocation.set(artifact.location, artifact)
    const artifacts = [...byLocation.values()].sort((a, b) => (a.location < b.location ? -1 : 1))
    yield* sql`update purge_log set state = 'done', finished_at = now(), xid = pg_current_xact_id(),
                 artifacts = ${JSON.stringify(artifacts)}::jsonb
               where id = ${started.id}::bigint`
    return { item: started.item, id: started.id, artifacts, resumed } satisfies Done
  })

/** The audit row's id (a `bigint`, selected as text). */
const RetentionIdRow = Schema.Struct({ id: Schema.String })

/** Records the intent: the audit row, `started`, with what is to go. */
const begin = (planned: Planned, request: Request) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const artifacts = planned.artifacts.map((a) => ({ location: a.location, size: a.size, sha256: a.sha256 }))
    const row = yield* SqlSchema.findOne({
      Request: Schema.Void,
      Result: RetentionIdRow,
      execute: () => sql`
      insert into purge_log (action, state, source_type, external_id, requested_by, reason, artifacts, allow_refetch)
      values ('retention', 'started', ${planned.item.sourceType}, ${planned.item.externalId}, ${request.by.slice(0, 200)},
              ${request.reason.slice(0, 2000)}, ${JSON.stringify(artifacts)}::jsonb, true)
      returning id::text as id`
    })(undefined).pipe(undecodableAsSqlError("ItemRetention.run", "purge_log intent"))
    return { id: row.id, item: planned.item, artifacts } satisfies Started
  })

const failure = (item: ItemKey) => (error: BronzeIoError | SqlError) =>
  Effect.succeed<Failed>({ item, reason: causeChain(error) })

/**
 * Completes the retention passes left `started`, then removes what `planned` (from `plan`) lists, one
 * item at a time, reporting each as it is done. An item that fails is reported with its reason; the
 * others go on.
 */
export const run = Effect.fn("ItemRetention.run")(function* (
  planned: ReadonlyArray<Planned>,
  request: Request,
  onDone: (done: Done) => Effect.Effect<void> = () => Effect.void
) {
  const done: Array<Done> = []
  const failed: Array<Failed> = []
  const record = (result: Done | Failed) =>
    "id" in result
      ? Effect.andThen(
          Effect.sync(() => done.push(result)),
          onDone(result)
        )
      : Effect.sync(() => failed.push(result))
  const left = yield* unfinished()
  const pending = new Set(left.map((s) => Tombstones.itemId(s.item)))
  for (const started of left) {
    yield* record(yield* complete(started, true).pipe(Effect.catch(failure(started.item))))
  }
  for (const item of planned) {
    if (pending.has(Tombstones.itemId(item.item))) continue
    yield* record(
      yield* Effect.flatMap(begin(item, request), (started) => complete(started, false)).pipe(
        Effect.catch(failure(item.item))
      )
    )
  }
  return { done, failed } satisfies Report
})

/** One source's policy, and the reason its audit rows give. */
export interface SourcePolicy {
  readonly sourceType: string
  readonly policy: ArtifactVersions.RetentionPolicy
  readonly reason: string
}

export interface SourceReport extends Report {
  readonly sourceType: string
  /** The source's pass could not run (its catalog or the database failed): why. */
  readonly error?: string | undefined
}

/**
 * One pass over several sources (first completing what an earlier pass left `started`). A source or an
 * item that fails is a WARN with the source and the reason, and the pass goes on with the others.
 */
export const runSources = Effect.fn("ItemRetention.runSources")(function* (
  sources: ReadonlyArray<SourcePolicy>,
  by: string,
  onDone: (done: Done) => Effect.Effect<void> = () => Effect.void
) {
  const reports: Array<SourceReport> = []
  for (const source of sources) {
    const result = yield* Effect.result(
      Effect.flatMap(plan(source.sourceType, source.policy), (planned) =>
        run(planned, { by, reason: source.reason }, onDone)
      )
    )
    if (result._tag === "Failure") {
      const error = causeChain(result.failure)
      yield* Effect.logWarning(`retention of source ${source.sourceType} failed: ${error}`)
      reports.push({ sourceType: source.sourceType, done: [], failed: [], error })
      continue
    }
    for (const f of result.success.failed)
      yield* Effect.logWarning(`retention of source ${f.item.sourceType} failed for ${f.item.externalId}: ${f.reason}`)
    reports.push({ sourceType: source.sourceType, ...result.success })
  }
  return reports
})
