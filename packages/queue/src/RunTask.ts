/**
 * What a queue worker does with one job: execute the run it points at, exactly once in effect.
 *
 * A job may run twice (its worker died after the run committed, before the job was deleted) and two
 * workers may hold jobs of one run (a worker declared dead while it was only slow): the run's row in
 * `sensor_runs` decides. Marking it `running` only succeeds while it is unfinished, and the job's writes
 * commit together with the run's final status under the row's lock (`for update`), so the second
 * execution waits, then finds the run finished and does nothing.
 *
 * Per-item failures are an outcome (the run is `failed` with them, the job completes). An error (a defect,
 * the database gone) fails the attempt, so graphile-worker retries it with backoff; on the last attempt
 * the run is recorded `failed` with the reason first, and the job stays dead with the same `last_error`.
 *
 * A worker whose machine vanished never closes its connection, so its transaction (and the row lock) would
 * live until TCP keepalive gives up, hours later. PostgreSQL ends it instead once it sat idle for
 * `idleInTransactionTimeout`; and an attempt waiting for a row lock gives up after `lockTimeout` (failing,
 * so it is retried later) rather than holding a worker slot.
 */
import { SilverError } from "@medallion/silver"
import { FailureReason, type Job, type RunExecutor, RunMetrics, SensorStore } from "@medallion/sensors"
import { Cause, Duration, Effect, Metric, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as SqlSchema from "effect/sql/SqlSchema"
import { QueueError } from "./QueueError.ts"
import * as RunJobs from "./RunJobs.ts"

export type Outcome = "succeeded" | "failed" | "finished-before"

export interface Attempt {
  /** graphile-worker's attempt number of the job (1 on the first try). */
  readonly attempt: number
  readonly maxAttempts: number
}

export interface RunTaskOptions {
  /**
   * How long a run's transaction may sit idle (its job computing between statements) before PostgreSQL
   * ends its connection, rolling the attempt back and releasing the row lock (default 60 s; 0 disables).
   * It must exceed the longest pause of a run's job between two statements.
   */
  readonly idleInTransactionTimeout?: Duration.Input | undefined
  /**
   * How long an attempt waits for its run's row lock before it fails and is retried (default: the idle
   * timeout, by which a vanished worker's lock is gone, so such a takeover costs at most one attempt).
   */
  readonly lockTimeout?: Duration.Input | undefined
}

export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT = Duration.seconds(60)

/** A duration as a PostgreSQL timeout setting (whole milliseconds, as text). */
const setting = (input: Duration.Input): string =>
  String(Math.max(0, Math.round(Duration.toMillis(Duration.fromInputUnsafe(input)))))

/** The run metrics the in-process launcher keeps too, so both modes feed the same series. */
const countFinished = (sensor: string, result: Job.JobResult<unknown>) =>
  Effect.andThen(
    Metric.update(
      Metric.withAttributes(RunMetrics.runsFinished, {
        sensor,
        status: result.failures.length === 0 ? "succeeded" : "failed"
      }),
      1
    ),
    result.failures.length === 0
      ? Effect.void
      : Metric.update(Metric.withAttributes(RunMetrics.itemFailures, { sensor }), result.failures.length)
  )

/** A jsonb column: the driver hands it over parsed, or as its JSON text. */
const Jsonb = <S extends Schema.Top>(schema: S) => Schema.Union([Schema.fromJsonString(schema), schema])

/** A run as its attempt starts: its items, and the failures of its previous attempt (if any). */
const StartedRow = Schema.Struct({
  items: Jsonb(Schema.Array(Schema.Unknown)),
  failures: Jsonb(Schema.Array(Schema.Struct({ item: Schema.Unknown })))
})

const LockedRow = Schema.Struct({ status: Schema.String })

/**
 * The dead state of a run whose last attempt failed: the run says failed with `reason` (the job keeps the
 * same reason as its last error). Only while unfinished: another worker may have finished the run meanwhile.
 */
export const recordDead = (run: RunJobs.Payload, reason: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    yield* sql`
      update sensor_runs set status = 'failed', error = ${reason}, finished_at = clock_timestamp()
      where sensor = ${run.sensor} and run_key = ${run.runKey} and status in ('requested', 'running')`
  }).pipe(Effect.catch((error) => Effect.logError("the failed run could not be recorded", { error })))

/**
 * The task for `execute` (the sensors' `RunExecutor`): given a job's payload and attempt, executes its
 * run. Fails with the reason (a string) when the attempt failed.
 */
export const make = (execute: RunExecutor.RunExecutor, options: RunTaskOptions = {}) => {
  const idleTimeout = setting(options.idleInTransactionTimeout ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT)
  const lockTimeout = options.lockTimeout === undefined ? idleTimeout : setting(options.lockTimeout)

  // Counts the attempt (committed on its own, so a rolled-back attempt still counts); a run that
  // finished meanwhile (or was pruned) is not touched. The update waits for the row's lock: bounded.
  // Its row is decoded once the transaction committed, so an undecodable run still counts the attempt.
  const startRun = SqlSchema.findOneOption({
    Request: RunJobs.Payload,
    Result: StartedRow,
    execute: (run) =>
      SqlClient.use((sql) =>
        sql.withTransaction(
          Effect.andThen(
            sql`select set_config('lock_timeout', ${lockTimeout}, true) as lock_timeout`,
            sql`
              update sensor_runs set status = 'running', attempts = attempts + 1, started_at = clock_timestamp(),
                     finished_at = null
              where sensor = ${run.sensor} and run_key = ${run.runKey} and status in ('requested', 'running')
              returning item_keys as items, failures`
          )
        )
      )
  })

  const lockRun = SqlSchema.findOneOption({
    Request: RunJobs.Payload,
    Result: LockedRow,
    execute: (run) =>
      SqlClient.use(
        (sql) => sql`
          select status from sensor_runs where sensor = ${run.sensor} and run_key = ${run.runKey}
          for update`
      )
  })

  return Effect.fnUntraced(function* (payload: unknown, attempt: Attempt) {
    const store = yield* SensorStore
    const sql = yield* SqlClient
    const run = yield* Schema.decodeUnknownEffect(RunJobs.Payload)(payload)
    const wrap = (operation: string) => Effect.mapError((cause: unknown) => new QueueError({ operation, cause }))

    const outcome = Effect.gen(function* () {
      const started = yield* startRun(run).pipe(SilverError.undecodableAsSqlError("RunTask.startRun"), wrap("startRun"))
      if (Option.isNone(started)) return "finished-before" as const
      const { items, failures } = started.value
      // A retried run reprocesses only the items that failed, as the runner relaunches it.
      const batch = failures.length > 0 ? failures.map((failure) => failure.item) : items

      const finished = yield* store.withTransaction(
        Effect.gen(function* () {
          yield* sql`
            select set_config('idle_in_transaction_session_timeout', ${idleTimeout}, true) as idle_timeout,
                   set_config('lock_timeout', ${lockTimeout}, true) as lock_timeout`.pipe(wrap("lockRun"))
          const locked = yield* lockRun(run).pipe(SilverError.undecodableAsSqlError("RunTask.lockRun"), wrap("lockRun"))
          // Only the run's lock is bounded: the job's own writes wait as they would anywhere else.
          yield* sql`set local lock_timeout to default`.pipe(wrap("lockRun"))
          if (Option.isNone(locked) || locked.value.status !== "running") return undefined
          const result = yield* execute(run.sensor, batch)
          yield* store.updateRun(
            run.sensor,
            run.runKey,
            result.failures.length === 0
              ? { status: "succeeded", error: null, failures: [] }
              : { status: "failed", error: FailureReason.summarize(result, batch.length), failures: result.failures }
          )
          return result
        })
      )
      if (finished === undefined) return "finished-before" as const
      // Counted once committed: a rolled-back attempt finished nothing.
      yield* countFinished(run.sensor, finished)
      return finished.failures.length === 0 ? ("succeeded" as const) : ("failed" as const)
    })

    return yield* outcome.pipe(
      Effect.sandbox,
      Effect.catch((cause) =>
        Effect.gen(function* () {
          if (Cause.hasInterruptsOnly(cause)) return yield* Effect.interrupt
          const reason = FailureReason.reasonOf(cause)
          if (attempt.attempt >= attempt.maxAttempts) yield* recordDead(run, reason)
          return yield* Effect.fail(reason)
        })
      ),
      Effect.timed,
      Effect.flatMap(([duration, result]) =>
        Effect.as(
          Metric.update(Metric.withAttributes(RunMetrics.runDuration, { sensor: run.sensor }), duration),
          result
        )
      ),
      Effect.annotateLogs({ sensor: run.sensor, runKey: run.runKey }),
      Effect.withSpan("QueueWorker.run", { attributes: { sensor: run.sensor, runKey: run.runKey } })
    )
  })
}
