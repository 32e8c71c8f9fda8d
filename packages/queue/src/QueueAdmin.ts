/**
 * What an operator asks of the queue: how many runs are queued, running and dead, how many workers are
 * alive, which jobs are dead and why, and a retry that puts failed runs (and dead jobs) back in the queue.
 *
 * A job is dead when its attempts are exhausted: graphile-worker keeps it with its `last_error`, and its
 * run is `failed` with the same reason in `sensor_runs`. `retry` resets the failed runs and re-queues
 * their jobs with the attempts reset, in one transaction.
 */
import { SilverError } from "@medallion/silver"
import { SensorStore, type SensorStoreError } from "@medallion/sensors"
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as SqlSchema from "effect/sql/SqlSchema"
import { QueueError } from "./QueueError.ts"
import * as RunJobs from "./RunJobs.ts"

export interface QueueStats {
  /** Jobs waiting for a worker (including retries waiting for their backoff). */
  readonly queued: number
  /** Jobs locked by a worker. */
  readonly running: number
  /** Jobs whose attempts are exhausted. */
  readonly dead: number
  /** Workers with a heartbeat row. */
  readonly workers: number
}

export interface DeadJob {
  readonly sensor: string
  readonly runKey: string
  readonly attempts: number
  readonly maxAttempts: number
  readonly lastError: string | null
}

export interface QueueAdminShape {
  readonly stats: Effect.Effect<QueueStats, QueueError>
  /** Dead jobs, most recently failed first (at most `limit`, default 100). */
  readonly deadJobs: (limit?: number | undefined) => Effect.Effect<ReadonlyArray<DeadJob>, QueueError>
  /**
   * Resets the sensor's failed runs (all, or one) and re-queues them, dead jobs with their attempts reset;
   * deletes the dead jobs with nothing left to do (superseded, or their run finished). Returns the run keys
   * actually put back in the queue.
   */
  readonly retry: (
    sensor: string,
    runKey?: string | undefined
  ) => Effect.Effect<ReadonlyArray<string>, QueueError | SensorStoreError>
}

export class QueueAdmin extends Context.Service<QueueAdmin, QueueAdminShape>()("@medallion/queue/QueueAdmin") {}

export interface QueueAdminOptions {
  /** Attempts a re-queued job gets (default 5, as the launcher's). */
  readonly maxAttempts?: number | undefined
}

const DEAD = `j.locked_at is null and j.attempts >= j.max_attempts`

/** The counts are cast to `int` in SQL, so the driver hands over numbers (a bare `count(*)` is a bigint). */
const StatsRow = Schema.Struct({
  queued: Schema.Int,
  running: Schema.Int,
  dead: Schema.Int,
  workers: Schema.Int
})

/** `attempts` and `max_attempts` are graphile-worker's `smallint`s: numbers. */
const DeadJobRow = Schema.Struct({
  sensor: Schema.String,
  runKey: Schema.String,
  attempts: Schema.Int,
  maxAttempts: Schema.Int,
  lastError: Schema.NullOr(Schema.String)
})

/** A job id is a bigint: selected as text, kept as the string `complete_jobs` is given back. */
const DeadRetryRow = Schema.Struct({
  id: Schema.String,
  runKey: Schema.String,
  key: Schema.NullOr(Schema.String)
})

export const make = Effect.fnUntraced(function* (options: QueueAdminOptions = {}) {
  const store = yield* SensorStore
  const sql = yield* SqlClient
  const maxAttempts = options.maxAttempts ?? RunJobs.DEFAULT_MAX_ATTEMPTS
  const wrap = (operation: string) => Effect.mapError((cause: unknown) => new QueueError({ operation, cause }))

  // An aggregate without `group by`: always exactly one row.
  const stats: Effect.Effect<QueueStats, QueueError> = SqlSchema.findOne({
    Request: Schema.Void,
    Result: StatsRow,
    execute: () => sql`
      select count(*) filter (where j.locked_at is null and j.attempts < j.max_attempts)::int as queued,
             count(*) filter (where j.locked_at is not null)::int as running,
             count(*) filter (where ${sql.literal(DEAD)})::int as dead,
             (select count(*)::int from queue_workers) as workers
      from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = ${RunJobs.TASK}`
  })(undefined).pipe(SilverError.undecodableAsSqlError("QueueAdmin.stats"), wrap("stats"))

  const deadJobs = (limit = 100): Effect.Effect<ReadonlyArray<DeadJob>, QueueError> =>
    SqlSchema.findAll({
      Request: Schema.Void,
      Result: DeadJobRow,
      execute: () => sql`
        select j.payload->>'sensor' as sensor, j.payload->>'runKey' as "runKey", j.attempts,
               j.max_attempts as "maxAttempts", j.last_error as "lastError"
        from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = ${RunJobs.TASK} and ${sql.literal(DEAD)}
        order by j.updated_at desc, j.id desc
        limit ${limit}`
    })(undefined).pipe(SilverError.undecodableAsSqlError("QueueAdmin.deadJobs"), wrap("deadJobs"))

  const retry = (sensor: string, runKey?: string) =>
    store.withTransaction(
      Effect.gen(function* () {
        const reset = yield* store.resetFailedRuns(sensor, runKey)
        const dead = yield* SqlSchema.findAll({
          Request: Schema.Void,
          Result: DeadRetryRow,
          execute: () => sql`
            select j.id::text as id, j.payload->>'runKey' as "runKey", j.key
            from graphile_worker._private_jobs j
            join graphile_worker._private_tasks t on t.id = j.task_id
            where t.identifier = ${RunJobs.TASK} and ${sql.literal(DEAD)}
              and j.payload->>'sensor' = ${sensor}
              and (${runKey ?? null}::text is null or j.payload->>'runKey' = ${runKey ?? null}::text)`
        })(undefined).pipe(SilverError.undecodableAsSqlError("QueueAdmin.retry", "dead jobs"), wrap("retry"))
        const keys = [...new Set([...reset.map((run) => run.runKey), ...dead.map((job) => job.runKey)])]
        const requeued = yield* RunJobs.requeue(
          sql,
          keys.map((key) => ({ sensor, runKey: key })),
          maxAttempts,
          { replaceRunning: true }
        ).pipe(wrap("retry"))
        const again = new Set(requeued.map((run) => run.runKey))
        // A dead job left is done with: superseded by a newer job of its run (it has no key), or its run
        // finished (or was pruned) meanwhile. It is deleted, so that what stays dead needs attention.
        const done = dead.filter((job) => job.key === null || !again.has(job.runKey)).map((job) => job.id)
        if (done.length > 0) {
          yield* sql`select id from graphile_worker.complete_jobs(
                       array(select jsonb_array_elements_text(${JSON.stringify(done)}::jsonb)::bigint))`.pipe(
            wrap("retry")
          )
        }
        return requeued.map((run) => run.runKey)
      })
    )

  return QueueAdmin.of({ stats, deadJobs, retry })
})

/** The admin queries on the database of the `SqlClient` in context. */
export const layer = (options?: QueueAdminOptions): Layer.Layer<QueueAdmin, never, SensorStore | SqlClient> =>
  Layer.effect(QueueAdmin, make(options))
