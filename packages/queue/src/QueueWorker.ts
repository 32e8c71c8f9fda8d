/**
 * A pool of graphile-worker workers executing sensor runs, for as long as the layer lives. Each job is a
 * run (`RunTask`); the pool's heartbeat lives in `queue_workers`, and its sweeper frees the jobs of dead
 * workers. So a daemon killed mid-run has its runs taken over by another within about
 * `deadAfter + heartbeatInterval` (plus a moment for the pickup); one whose machine vanished (its connections
 * never closed) also within `idleInTransactionTimeout`, after which PostgreSQL ends its run's transaction.
 *
 * Shutdown is graceful: the pool stops taking jobs and waits for the running ones (graphile-worker aborts
 * them after 5 s; an aborted run rolls back and its job is retried later), then its row is removed.
 */
import { EventEmitter } from "node:events"
import * as Os from "node:os"
import { RunExecutor, type Sensor, type SensorStore } from "@medallion/sensors"
import { Context, Duration, Effect, Exit, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Logger, run, type Task, type WorkerEvents } from "graphile-worker"
import { QueueError } from "./QueueError.ts"
import * as RunJobs from "./RunJobs.ts"
import * as RunTask from "./RunTask.ts"
import * as WorkerLiveness from "./WorkerLiveness.ts"

export interface QueueWorkerOptions {
  /** graphile-worker's own connection pool (the runs' writes go through the `SqlClient` in context). */
  readonly connectionString: Redacted.Redacted<string>
  /** Runs executing at once in this pool (default 4). */
  readonly concurrency?: number | undefined
  /** How often idle workers look for jobs whose retry delay ended (default 2 s); new jobs arrive by NOTIFY. */
  readonly pollInterval?: Duration.Input | undefined
  /** How often this pool writes its heartbeat and sweeps for dead workers (default 5 s). */
  readonly heartbeatInterval?: Duration.Input | undefined
  /** A worker silent for this long is dead and its jobs are freed (default 30 s). */
  readonly deadAfter?: Duration.Input | undefined
  /**
   * How long a run's transaction may sit idle before PostgreSQL ends it (default 60 s; 0 disables): the
   * bound on a vanished machine's row lock. Keep it above the longest pause of a job between statements.
   */
  readonly idleInTransactionTimeout?: Duration.Input | undefined
  /** How long an attempt waits for its run's row lock before it fails and is retried (default: the idle timeout). */
  readonly lockTimeout?: Duration.Input | undefined
}

export interface QueueWorkerShape {
  /** The pool's id: graphile-worker locks its jobs under it, and its heartbeat row carries it. */
  readonly workerId: string
}

export class QueueWorker extends Context.Service<QueueWorker, QueueWorkerShape>()("@medallion/queue/QueueWorker") {}

export const make = Effect.fnUntraced(function* <R>(
  sensors: ReadonlyArray<Sensor.AnySensor<R>>,
  options: QueueWorkerOptions
) {
  const sql = yield* SqlClient
  const task = RunTask.make(yield* RunExecutor.make(sensors), {
    idleInTransactionTimeout: options.idleInTransactionTimeout,
    lockTimeout: options.lockTimeout
  })
  const context = yield* Effect.context<SensorStore | SqlClient>()
  const heartbeatInterval = Duration.fromInputUnsafe(options.heartbeatInterval ?? Duration.seconds(5))
  const deadAfterMs = Duration.toMillis(Duration.fromInputUnsafe(options.deadAfter ?? Duration.seconds(30)))
  const host = Os.hostname()

  const handler: Task = async (payload, helpers) => {
    const exit = await Effect.runPromiseWith(context)(
      Effect.exit(task(payload, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts })),
      { signal: helpers.abortSignal }
    )
    if (Exit.isFailure(exit)) throw new Error(RunTask.describe(exit.cause))
  }

  // graphile-worker's messages go to the Effect logger (its info level is chatty: debug here).
  const log = (level: string, message: string) =>
    Effect.runForkWith(context)(
      level === "error"
        ? Effect.logError(message)
        : level === "warning"
          ? Effect.logWarning(message)
          : Effect.logDebug(message)
    )
  const logger = new Logger(() => (level, message) => void log(level, message))

  let workerId: string | undefined
  const events: WorkerEvents = new EventEmitter()
  events.on("pool:create", ({ workerPool }) => {
    workerId = workerPool.id
  })

  // Finalizers run in reverse: the pool stops first (running jobs finish), then the heartbeat, then the row.
  yield* Effect.addFinalizer(() =>
    workerId === undefined ? Effect.void : WorkerLiveness.remove(sql, workerId).pipe(Effect.ignore)
  )
  const liveness = Effect.suspend(() =>
    workerId === undefined
      ? Effect.void
      : WorkerLiveness.beat(sql, workerId, host, process.pid).pipe(
          // A sweep waiting on a row lock longer than a heartbeat interval gives up until the next one.
          Effect.andThen(WorkerLiveness.sweep(sql, deadAfterMs, Duration.toMillis(heartbeatInterval))),
          Effect.tap((swept) =>
            swept.workers.length > 0
              ? Effect.logWarning("freed the jobs of dead queue workers", {
                  workers: swept.workers,
                  failedRuns: swept.failedRuns
                })
              : Effect.void
          ),
          Effect.catch((error) => Effect.logWarning("queue heartbeat failed", { error }))
        )
  )
  yield* Effect.forkScoped(Effect.repeat(liveness, Schedule.spaced(heartbeatInterval)))

  const startPool = Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        run(
          {
            connectionString: Redacted.value(options.connectionString),
            concurrency: options.concurrency ?? 4,
            pollInterval: Duration.toMillis(Duration.fromInputUnsafe(options.pollInterval ?? Duration.seconds(2))),
            noHandleSignals: true,
            taskList: { [RunJobs.TASK]: handler },
            events,
            logger,
            // Batched completion and failure are retried through a database outage (for minutes, with
            // backoff); unbatched, one refused connection while recording a job's outcome is an unhandled
            // rejection that ends the process.
            preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
          },
          undefined,
          []
        ),
      catch: (cause) => new QueueError({ operation: "startWorker", cause })
    }),
    (runner) => Effect.promise(() => runner.stop().catch(() => undefined))
  )
  let runner = yield* startPool
  if (workerId === undefined) return yield* Effect.die(new Error("graphile-worker created no pool"))
  yield* liveness
  // A pool stops by itself only when it gave up (an outage longer than its retries): start another, so
  // the daemon goes on consuming the queue once the database is back. The old pool's jobs were released
  // or are freed by the sweep, as for a dead worker.
  yield* Effect.forkScoped(
    Effect.gen(function* () {
      const ended = yield* Effect.result(Effect.tryPromise(() => runner.promise))
      yield* Effect.logError("the queue worker pool stopped; starting a new one", {
        workerId,
        error: ended._tag === "Failure" ? String(ended.failure.cause) : null
      })
      runner = yield* startPool.pipe(
        Effect.tapError((error) => Effect.logWarning("queue worker pool not started yet", { error })),
        Effect.retry(Schedule.spaced(heartbeatInterval))
      )
      yield* Effect.logInfo("queue worker started", { workerId })
    }).pipe(Effect.forever)
  )
  yield* Effect.logInfo("queue worker started", { workerId })
  return QueueWorker.of({ workerId })
})

/**
 * Executes the runs of `sensors` from the queue for as long as the layer lives. Needs `SensorStore`, the
 * `SqlClient` of the same database, and what the sensors' jobs require.
 */
export const layer = <R>(
  sensors: ReadonlyArray<Sensor.AnySensor<R>>,
  options: QueueWorkerOptions
): Layer.Layer<QueueWorker, QueueError, SensorStore | SqlClient | R> =>
  Layer.effect(QueueWorker, make(sensors, options))
