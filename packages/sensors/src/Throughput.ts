/**
 * Throughput over time, from the history the sensors already keep: per sensor and time bucket, the
 * items of the runs that finished in it (`sensor_runs`) and its ticks by outcome (`sensor_ticks`).
 * It reaches back as far as the retention keeps that history: finished runs for `runMaxAge` (7 days
 * by default), ticks the newest `keepTicks` (1,000) per sensor.
 */
import { SilverError } from "@medallion/silver"
import { Clock, Duration, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"

export interface ThroughputBucket {
  /** Start of the bucket (ISO 8601). */
  readonly at: string
  /** Items of the runs that succeeded in the bucket, those that failed inside them included. */
  readonly items: number
  /** Items those runs reported as failed (they stay visible as failed items). */
  readonly itemFailures: number
  readonly runs: number
  readonly failedRuns: number
  readonly ticks: number
  readonly skippedTicks: number
  readonly failedTicks: number
}

export interface SensorThroughput {
  readonly sensor: string
  /** Oldest first, one per bucket of the window, empty buckets included. */
  readonly buckets: ReadonlyArray<ThroughputBucket>
}

export interface Throughput {
  readonly from: string
  readonly to: string
  readonly bucketSeconds: number
  readonly sensors: ReadonlyArray<SensorThroughput>
}

export interface ThroughputOptions {
  /** How far back (default 1 hour). */
  readonly window?: Duration.Input | undefined
  /** Buckets in the window (default 60, at most 1,440). */
  readonly buckets?: number | undefined
}

const MAX_BUCKETS = 1440

// The rows as PostgreSQL returns them (every count cast to int in SQL): decoded with Schema, not cast.
const SensorRow = Schema.Struct({ sensor: Schema.String })

const RunsRow = Schema.Struct({
  sensor: Schema.String,
  bucket: Schema.Int,
  items: Schema.Int,
  itemFailures: Schema.Int,
  runs: Schema.Int,
  failedRuns: Schema.Int
})

const TicksRow = Schema.Struct({
  sensor: Schema.String,
  bucket: Schema.Int,
  ticks: Schema.Int,
  skippedTicks: Schema.Int,
  failedTicks: Schema.Int
})

const empty = (at: number): ThroughputBucket => ({
  at: new Date(at).toISOString(),
  items: 0,
  itemFailures: 0,
  runs: 0,
  failedRuns: 0,
  ticks: 0,
  skippedTicks: 0,
  failedTicks: 0
})

/**
 * The window ends at the next bucket boundary after now (buckets stay aligned from one call to the
 * next, so a chart does not shift under its reader), on the daemon's clock.
 */
export const make = Effect.fn("Throughput.make")(function* (
  options: ThroughputOptions = {}
): Effect.fn.Return<Throughput, SqlError, SqlClient> {
  const sql = yield* SqlClient
  const count = Math.min(MAX_BUCKETS, Math.max(1, Math.floor(options.buckets ?? 60)))
  const windowMs = Duration.toMillis(Duration.fromInputUnsafe(options.window ?? Duration.hours(1)))
  const bucketMs = Math.max(1000, Math.ceil(windowMs / count / 1000) * 1000)
  const now = yield* Clock.currentTimeMillis
  const to = Math.ceil((now + 1) / bucketMs) * bucketMs
  const from = to - count * bucketMs
  const fromIso = new Date(from).toISOString()
  const toIso = new Date(to).toISOString()

  const sensors = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: SensorRow,
    execute: () => sql`select sensor from sensor_state order by sensor`
  })(undefined).pipe(SilverError.undecodableAsSqlError("Throughput.sensors"))
  const runs = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: RunsRow,
    execute: () => sql`
      select sensor,
             floor(extract(epoch from (finished_at - ${fromIso}::timestamptz)) * 1000 / ${bucketMs})::int as bucket,
             coalesce(sum(jsonb_array_length(item_keys)) filter (where status = 'succeeded'), 0)::int as items,
             coalesce(sum(jsonb_array_length(failures)) filter (where status = 'succeeded'), 0)::int as item_failures,
             (count(*) filter (where status = 'succeeded'))::int as runs,
             (count(*) filter (where status = 'failed'))::int as failed_runs
        from sensor_runs
       where finished_at >= ${fromIso}::timestamptz and finished_at < ${toIso}::timestamptz
       group by 1, 2`
  })(undefined).pipe(SilverError.undecodableAsSqlError("Throughput.runs"))
  const ticks = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: TicksRow,
    execute: () => sql`
      select sensor,
             floor(extract(epoch from (started_at - ${fromIso}::timestamptz)) * 1000 / ${bucketMs})::int as bucket,
             count(*)::int as ticks,
             (count(*) filter (where status = 'skipped'))::int as skipped_ticks,
             (count(*) filter (where status = 'failed'))::int as failed_ticks
        from sensor_ticks
       where started_at >= ${fromIso}::timestamptz and started_at < ${toIso}::timestamptz
       group by 1, 2`
  })(undefined).pipe(SilverError.undecodableAsSqlError("Throughput.ticks"))

  const series = new Map<string, Array<ThroughputBucket>>()
  const of = (sensor: string) => {
    let buckets = series.get(sensor)
    if (buckets === undefined) {
      buckets = Array.from({ length: count }, (_, i) => empty(from + i * bucketMs))
      series.set(sensor, buckets)
    }
    return buckets
  }
  for (const { sensor } of sensors) of(sensor)
  for (const row of runs) {
    const buckets = of(row.sensor)
    const bucket = buckets[row.bucket]
    if (bucket === undefined) continue
    buckets[row.bucket] = {
      ...bucket,
      items: row.items,
      itemFailures: row.itemFailures,
      runs: row.runs,
      failedRuns: row.failedRuns
    }
  }
  for (const row of ticks) {
    const buckets = of(row.sensor)
    const bucket = buckets[row.bucket]
    if (bucket === undefined) continue
    buckets[row.bucket] = {
      ...bucket,
      ticks: row.ticks,
      skippedTicks: row.skippedTicks,
      failedTicks: row.failedTicks
    }
  }
  return {
    from: fromIso,
    to: toIso,
    bucketSeconds: bucketMs / 1000,
    sensors: [...series.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([sensor, buckets]) => ({ sensor, buckets }))
  }
})
