/**
 * What an operator asks first: how many items silver holds per source and
 * status, which items failed and why, where each sensor's cursor stands,
 * how far silver lags behind bronze, what the recent ticks did and which runs
 * failed; plus warnings when a deployment has outgrown its mode.
 */
import { BronzeReader, type BronzeIoError, type CatalogCursor } from "@medallion/bronze"
import { type DatabaseError, type DatabaseUnavailable, ItemRepo, SilverError, type Status } from "@medallion/silver"
import { DateTime, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { ScanCursor, IndexCursor } from "./BronzeSensor.ts"

export interface SensorReport {
  readonly name: string
  readonly paused: boolean
  readonly cursor: unknown
  readonly updatedAt: string
  readonly owner: string | null
  readonly leaseExpiresAt: string | null
  readonly runs: Readonly<Record<string, number>>
  readonly recentTicks: ReadonlyArray<{
    readonly status: string
    readonly reason: string | null
    readonly runCount: number
    readonly startedAt: string
    readonly durationMs: number | null
  }>
  readonly failedRuns: ReadonlyArray<{ readonly runKey: string; readonly error: string | null; readonly items: number }>
}

/** An item whose fetch, transcription or transform failed, with the reason silver keeps for it. */
export interface FailedItem {
  /** Which step failed: fetch (discovery documents included), transcription or transform. */
  readonly stage: "fetch" | "transcription" | "transform"
  readonly sourceType: string
  readonly externalId: string
  readonly title: string | null
  readonly url: string | null
  readonly reason: string | null
  readonly updatedAt: string
}

export interface StatusReport {
  readonly items: { readonly total: number; readonly bySource: Readonly<Record<string, number>> }
  readonly fetchStatus: Readonly<Record<string, number>>
  readonly transcriptionStatus: Readonly<Record<string, number>>
  readonly transformStatus: Readonly<Record<string, number>>
  /** Items per source and combination of statuses. */
  readonly counts: ReadonlyArray<{
    readonly sourceType: string
    readonly fetchStatus: string
    readonly transcriptionStatus: string
    readonly transformStatus: string
    readonly count: number
  }>
  /** Bronze artifacts the bronze -> silver sensor has not handed out yet (counted up to `lagLimit`). */
  readonly lag: { readonly artifacts: number; readonly atLeast: boolean } | null
  readonly sensors: ReadonlyArray<SensorReport>
  /**
   * Items whose fetch, transcription or transform failed: how many of each, and the oldest of each step
   * with their reasons (a discovery document whose fetch failed is one of them: `feed/_feed:<url>`).
   */
  readonly failures: {
    readonly fetch: number
    readonly transcription: number
    readonly transform: number
    readonly items: ReadonlyArray<FailedItem>
  }
  /**
   * Why items are not fetched or not transcribed on purpose (`skipped`, `gone`): the items per source,
   * status and reason (the reason without the artifact it was read from), most first.
   */
  readonly notDone: ReadonlyArray<NotDone>
  /** What purges, unpurges and retention passes did, from their audit trail (`purge_log`). */
  readonly removals: ReadonlyArray<Removals>
  readonly warnings: ReadonlyArray<string>
}

/** One action of the audit trail: the distinct items it was done to, bronze artifacts they removed, the last one, and those a killed run left. */
export interface Removals {
  readonly action: "purge" | "unpurge" | "retention"
  readonly items: number
  readonly artifacts: number
  readonly lastAt: string | null
  readonly unfinished: number
}

/** Items of one source left in one state on purpose, for one reason. */
export interface NotDone {
  readonly stage: "fetch" | "transcription"
  readonly sourceType: string
  readonly status: string
  readonly reason: string | null
  readonly count: number
}

export interface StatusOptions {
  /** The bronze -> silver sensor whose cursor measures the lag. */
  readonly bronzeSensor: string
  readonly catalog: "scan" | "index"
  /** How runs execute and where bronze lives, to warn when the deployment outgrows them (default the small modes). */
  readonly launcher?: "in-process" | "queue" | undefined
  readonly store?: "filesystem" | "s3" | undefined
  /** Items past which the small modes are outgrown (default `SCAN_MODE_LIMIT`). */
  readonly outgrownAt?: number | undefined
  /** Stop counting the lag past this many artifacts (default 100,000). */
  readonly lagLimit?: number | undefined
  readonly recentTicks?: number | undefined
  /** A tick slower than this share of its timeout is worth a warning (default 0.8 of 5 s). */
  readonly tickBudgetMs?: number | undefined
  /** How many failed items of each step to list with their reasons (default 10; 0 reads none). */
  readonly failedItems?: number | undefined
}

// The rows of the report's queries as PostgreSQL returns them (counts cast to int in SQL, timestamptz as
// Date, jsonb parsed): decoded with Schema, not cast.
const StateRow = Schema.Struct({
  sensor: Schema.String,
  cursor: Schema.Unknown,
  paused: Schema.Boolean,
  updatedAt: Schema.Date,
  leaseOwner: Schema.NullOr(Schema.String),
  leaseExpiresAt: Schema.NullOr(Schema.Date)
})

const RunCountRow = Schema.Struct({ status: Schema.String, count: Schema.Int })

const TickRow = Schema.Struct({
  status: Schema.String,
  reason: Schema.NullOr(Schema.String),
  runCount: Schema.Int,
  startedAt: Schema.Date,
  durationMs: Schema.NullOr(Schema.Number)
})

const FailedRunRow = Schema.Struct({ runKey: Schema.String, error: Schema.NullOr(Schema.String), items: Schema.Int })

const NotDoneRow = Schema.Struct({
  stage: Schema.Literals(["fetch", "transcription"]),
  sourceType: Schema.String,
  status: Schema.String,
  reason: Schema.NullOr(Schema.String),
  count: Schema.Int
})

const RemovalsRow = Schema.Struct({
  action: Schema.Literals(["purge", "unpurge", "retention"]),
  items: Schema.Int,
  artifacts: Schema.Int,
  lastAt: Schema.NullOr(Schema.Date),
  unfinished: Schema.Int
})

/** Below this many items a directory scan is the right catalog; above it, the index (the guidelines' threshold). */
export const SCAN_MODE_LIMIT = 100_000

const tally = (entries: ReadonlyArray<{ readonly key: string; readonly count: number }>) => {
  const out: Record<string, number> = {}
  for (const { key, count } of entries) out[key] = (out[key] ?? 0) + count
  return out
}

const toCatalogCursor = (cursor: unknown): CatalogCursor | undefined => {
  const scan = Schema.decodeUnknownOption(ScanCursor)(cursor)
  if (scan._tag === "Some") {
    // The artifacts at the boundary mtime already handed out (the seen-set) are not lag: count from the
    // last of them (an estimate: an unseen artifact sorting before it at that very mtime is not counted).
    const last = [scan.value.after, ...scan.value.seen].reduce((a, b) => (b > a ? b : a))
    return scan.value.mtimeMs < 0 ? undefined : { _tag: "Scan", after: { mtimeMs: scan.value.mtimeMs, location: last } }
  }
  const index = Schema.decodeUnknownOption(IndexCursor)(cursor)
  if (index._tag === "Some") {
    return index.value.indexId === null
      ? { _tag: "Index", offset: index.value.offset }
      : { _tag: "Index", offset: index.value.offset, indexId: index.value.indexId }
  }
  return undefined
}

/** Counts the artifacts after `cursor` page by page, stopping at `limit`. */
const countAfter = (reader: BronzeReader["Service"], cursor: CatalogCursor | undefined, limit: number) =>
  Effect.gen(function* () {
    let counted = 0
    let position = cursor
    while (counted < limit) {
      const page = yield* reader.changes({ cursor: position, limit: Math.min(10_000, limit - counted) })
      counted += page.entries.length
      if (page.entries.length === 0 || page.complete) return { artifacts: counted, atLeast: false }
      position = page.cursor
    }
    return { artifacts: counted, atLeast: true }
  })

const STAGES: ReadonlyArray<{
  readonly stage: FailedItem["stage"]
  readonly query: {
    readonly fetchStatus?: Status.FetchStatus
    readonly transcriptionStatus?: Status.TranscriptionStatus
    readonly transformStatus?: Status.TransformStatus
  }
  readonly reason: "fetchError" | "transcriptionError" | "transformError"
}> = [
  { stage: "fetch", query: { fetchStatus: "failed" }, reason: "fetchError" },
  { stage: "transcription", query: { transcriptionStatus: "failed" }, reason: "transcriptionError" },
  { stage: "transform", query: { transformStatus: "failed" }, reason: "transformError" }
]

/** The failed items of each step (the oldest `limit` of each, by id), with their reasons. */
export const failedItems = Effect.fn("StatusReport.failedItems")(function* (limit: number) {
  if (limit <= 0) return []
  const items = yield* ItemRepo
  const out: Array<FailedItem> = []
  for (const { stage, query, reason } of STAGES) {
    for (const item of yield* items.listByStatus({ ...query, limit })) {
      out.push({
        stage,
        sourceType: item.sourceType,
        externalId: item.externalId,
        title: item.title,
        url: item.url,
        reason: item[reason],
        updatedAt: DateTime.formatIso(item.updatedAt)
      })
    }
  }
  return out
})

export const make = Effect.fn("StatusReport.make")(function* (
  options: StatusOptions
): Effect.fn.Return<
  StatusReport,
  SqlError | BronzeIoError | DatabaseUnavailable | DatabaseError,
  SqlClient | ItemRepo | BronzeReader
> {
  const sql = yield* SqlClient
  const items = yield* ItemRepo
  const reader = yield* BronzeReader
  const counts = yield* items.countByStatus()
  const total = counts.reduce((n, c) => n + c.count, 0)

  const states = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: StateRow,
    execute: () =>
      sql`select sensor, cursor, paused, updated_at, lease_owner, lease_expires_at from sensor_state order by sensor`
  })(undefined).pipe(SilverError.undecodable("StatusReport.sensors"))
  const sensors = yield* Effect.forEach(states, (state) =>
    Effect.gen(function* () {
      const runs = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: RunCountRow,
        execute: () => sql`
          select status, count(*)::int as count from sensor_runs where sensor = ${state.sensor} group by status`
      })(undefined).pipe(SilverError.undecodable("StatusReport.runs"))
      const ticks = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: TickRow,
        execute: () => sql`
          select status, reason, run_count, started_at, duration_ms from sensor_ticks
          where sensor = ${state.sensor} order by started_at desc limit ${options.recentTicks ?? 5}`
      })(undefined).pipe(SilverError.undecodable("StatusReport.recentTicks"))
      const failed = yield* SqlSchema.findAll({
        Request: Schema.Void,
        Result: FailedRunRow,
        execute: () => sql`
          select run_key, error, jsonb_array_length(item_keys) as items from sensor_runs
          where sensor = ${state.sensor} and status = 'failed' order by finished_at desc limit 10`
      })(undefined).pipe(SilverError.undecodable("StatusReport.failedRuns"))
      return {
        name: state.sensor,
        paused: state.paused,
        cursor: state.cursor,
        updatedAt: state.updatedAt.toISOString(),
        owner: state.leaseOwner,
        leaseExpiresAt: state.leaseExpiresAt?.toISOString() ?? null,
        runs: Object.fromEntries(runs.map((r) => [r.status, r.count])),
        recentTicks: ticks.map((t) => ({ ...t, startedAt: t.startedAt.toISOString() })),
        failedRuns: failed
      } satisfies SensorReport
    })
  )

  const failed = yield* failedItems(options.failedItems ?? 10)

  // A reason ends with the artifact it was read from (` [hn/_lists/selected@...json]`), which differs
  // per item: without it the items of one reason are one group.
  const notDone: ReadonlyArray<NotDone> = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: NotDoneRow,
    execute: () => sql`
      select stage, source_type, status, nullif(regexp_replace(reason, '\\s*\\[[^\\]]*\\]$', ''), '') as reason,
             count(*)::int as count
      from (
        select 'fetch' as stage, source_type, fetch_status as status, fetch_error as reason from items
        where fetch_status in ('skipped', 'gone')
        union all
        select 'transcription', source_type, transcription_status, transcription_error from items
        where transcription_status = 'skipped'
      ) as left_on_purpose
      group by 1, 2, 3, 4 order by count desc, 1, 2, 3, 4 limit 50`
  })(undefined).pipe(SilverError.undecodable("StatusReport.notDone"))

  const removals = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: RemovalsRow,
    execute: () => sql`
      select action, count(distinct (source_type, external_id)) filter (where state = 'done')::int as items,
             coalesce(sum(jsonb_array_length(artifacts)) filter (where state = 'done'), 0)::int as artifacts,
             max(finished_at) as last_at, count(*) filter (where state = 'started')::int as unfinished
      from purge_log group by action order by action`
  })(undefined).pipe(SilverError.undecodable("StatusReport.removals"))

  const bronzeState = states.find((s) => s.sensor === options.bronzeSensor)
  const lag =
    bronzeState === undefined
      ? yield* countAfter(reader, undefined, options.lagLimit ?? 100_000)
      : yield* countAfter(reader, toCatalogCursor(bronzeState.cursor), options.lagLimit ?? 100_000)

  const warnings: Array<string> = []
  const limit = options.outgrownAt ?? SCAN_MODE_LIMIT
  if (options.catalog === "scan" && total > limit) {
    warnings.push(
      `silver holds ${total} items and bronze is discovered by a directory scan: past ${limit} items switch bronze.discovery to "index" (daemons stopped, then \`medallion switch-discovery\`)`
    )
  }
  if ((options.launcher ?? "in-process") === "in-process" && total > limit) {
    warnings.push(
      `silver holds ${total} items and runs execute in the daemon that ticks: past ${limit} items set runs.launcher to "queue", so every transform daemon shares the runs`
    )
  }
  if ((options.store ?? "filesystem") === "filesystem" && total > limit) {
    warnings.push(
      `silver holds ${total} items and bronze is a local folder: past ${limit} items, and for daemons on several machines, set bronze.store to "s3"`
    )
  }
  const budget = options.tickBudgetMs ?? 4000
  for (const sensor of sensors) {
    const slow = sensor.recentTicks.filter((t) => (t.durationMs ?? 0) > budget)
    if (slow.length > 0) {
      warnings.push(
        `sensor ${sensor.name}: ${slow.length} recent tick(s) took over ${budget} ms, near the tick timeout`
      )
    }
    if ((sensor.runs["failed"] ?? 0) > 0) {
      warnings.push(
        `sensor ${sensor.name}: ${sensor.runs["failed"]} failed run(s); \`medallion retry\` requests them again`
      )
    }
  }

  for (const r of removals) {
    if (r.unfinished === 0) continue
    warnings.push(
      r.action === "retention"
        ? `${r.unfinished} retention pass(es) were stopped midway: the next pass (\`medallion retention\` or the transform daemon's schedule) completes them first`
        : `${r.unfinished} ${r.action}(s) were stopped midway: the next \`medallion ${r.action}\` completes them first`
    )
  }

  return {
    items: { total, bySource: tally(counts.map((c) => ({ key: c.sourceType, count: c.count }))) },
    fetchStatus: tally(counts.map((c) => ({ key: c.fetchStatus, count: c.count }))),
    transcriptionStatus: tally(counts.map((c) => ({ key: c.transcriptionStatus, count: c.count }))),
    transformStatus: tally(counts.map((c) => ({ key: c.transformStatus, count: c.count }))),
    counts,
    lag,
    sensors,
    failures: {
      fetch: counts.filter((c) => c.fetchStatus === "failed").reduce((n, c) => n + c.count, 0),
      transcription: counts.filter((c) => c.transcriptionStatus === "failed").reduce((n, c) => n + c.count, 0),
      transform: counts.filter((c) => c.transformStatus === "failed").reduce((n, c) => n + c.count, 0),
      items: failed
    },
    notDone,
    removals: removals.map((r) => ({ ...r, lastAt: r.lastAt?.toISOString() ?? null })),
    warnings
  } satisfies StatusReport
})
