/**
 * A pool of graphile-worker workers executing sensor runs, for as long as the layer lives. Each job is a
 * run (`RunTask`); the pool's heartbeat lives in `queue_workers`, and its sweeper frees the jobs of dead
 * workers. So a daemon killed mid-run has its runs taken over by another within about
 * `deadAfter + heartbeatInterval` (plus a moment for the pickup); one whose machine vanished (its connections
 * never closed) also within `idleInTransactionTimeout`, after which PostgreSQL ends its run's transaction.
 *
 * Shutdown is graceful: the pool stops taking jobs and waits for the running ones (graphile-worker aborts
 * them after 5 s; an aborted run rolls back and its job is retried later), then the rows of its pools are
 * removed. A pool that gives up (a database outage) or stalls is replaced by a new one (`PoolWatch`,
 * `PoolSupervisor`); a pool that does not finish stopping within 15 s is left behind, its jobs freed by
 * the sweep as a dead worker's.
 */
import { EventEmitter } from "node:events"
import * as Os from "node:os"
import { FailureReason, RunExecutor, type Sensor, type SensorStore } from "@medallion/sensors"
import { Clock, Context, Duration, Effect, Exit, Layer, Option, Redacted, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Logger, run, type Task, type WorkerEvents } from "graphile-worker"
import { QueueError } from "./QueueError.ts"
import * as PoolSupervisor from "./PoolSupervisor.ts"
import * as PoolWatch from "./PoolWatch.ts"
import * as RunJobs from "./RunJobs.ts"
import * as RunTask from "./RunTask.ts"
import * as WorkerLiveness from "./WorkerLiveness.ts"

/** How long a stopping pool is waited for (graphile-worker aborts its running jobs after 5 s). */
const STOP_TIMEOUT_MS = 15_000

/** A pool with a free worker and no job lookup for this long (or 10 poll intervals, if longer) has stalled. */
const STALL_AFTER_MS = 30_000

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
  /**
   * The longest an attempt may take before it is given up and retried (default 10 minutes): the bound on
   * an attempt stuck on a connection that died mid-query.
   */
  readonly runTimeout?: Duration.Input | undefined
}

export interface QueueWorkerShape {
  /**
   * The current pool's id (a pool that gave up is replaced by one with a new id): graphile-worker locks
   * its jobs under it, and its heartbeat row carries it.
   */
  readonly workerId: string
}

/** How long the worker waits to record a run failed after its last attempt timed out. */
const DEAD_RECORD_TIMEOUT = Duration.seconds(10)

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

  // An attempt that outlives `runTimeout` is given up from here, without waiting for it: a query whose
  // connection died mid-flight (the server stopped) may never settle, and the interruption itself could
  // wait on it. The job then fails and is retried; the abandoned fiber is interrupted as far as it can be.
  const runTimeoutMs = Duration.toMillis(Duration.fromInputUnsafe(options.runTimeout ?? Duration.minutes(10)))
  const handler: Task = async (payload, { job, abortSignal }) => {
    const stop = new AbortController()
    const onAbort = () => stop.abort()
    abortSignal?.addEventListener("abort", onAbort)
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<"timed-out">((resolve) => {
      timer = setTimeout(() => resolve("timed-out"), runTimeoutMs)
    })
    try {
      const exit = await Promise.race([
        Effect.runPromiseWith(context)(
          Effect.exit(task(payload, { attempt: job.attempts, maxAttempts: job.max_attempts })),
          { signal: stop.signal }
        ),
        timedOut
      ])
      if (exit === "timed-out") {
        stop.abort()
        if (job.attempts < job.max_attempts)
          throw new Error(`the run did not finish within ${runTimeoutMs} ms; it is given up and retried`)
        // The interrupted task records nothing: the run is marked failed from here (within a bound of its
        // own, the database being what may hang), or it would stay running behind its dead job.
        const reason = `the run did not finish within ${runTimeoutMs} ms on its last attempt; it is given up`
        const run = Schema.decodeUnknownOption(RunJobs.Payload)(payload)
        if (Option.isSome(run))
          await Effect.runPromiseWith(context)(
            RunTask.recordDead(run.value, reason).pipe(Effect.timeoutOption(DEAD_RECORD_TIMEOUT))
          )
        throw new Error(reason)
      }
      if (Exit.isFailure(exit)) throw new Error(FailureReason.reasonOf(exit.cause))
    } finally {
      clearTimeout(timer)
      abortSignal?.removeEventListener("abort", onAbort)
    }
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

  // graphile-worker announces each pool it creates: its id is the one it locks jobs under.
  let created: string | undefined
  const events: WorkerEvents = new EventEmitter()
  events.on("pool:create", ({ workerPool }) => {
    created = workerPool.id
  })
  // Every pool this worker started (a replaced one's row may still be there), and the current one.
  const started: Array<string> = []
  let workerId = ""

  // Finalizers run in reverse: the pool stops first (running jobs finish), then the heartbeat, then the rows.
  yield* Effect.addFinalizer(() => WorkerLiveness.remove(sql, started).pipe(Effect.ignore))
  // Since when this worker's heartbeats have succeeded without a gap. After a database outage every
  // heartbeat is stale, the live workers' too: a worker sweeps only once it has itself been beating for
  // `deadAfter`, by which time every live worker has beaten again, so only the dead look silent.
  let healthySince: number | undefined
  const sweep = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    if (healthySince === undefined || now - healthySince < deadAfterMs) return
    // A sweep waiting on a row lock longer than a heartbeat interval gives up until the next one.
    const swept = yield* WorkerLiveness.sweep(
      sql,
      deadAfterMs,
      Duration.toMillis(heartbeatInterval),
      // A live worker gives an attempt up after runTimeout: a lock older than that (and a sweep's margin) is orphaned.
      runTimeoutMs + deadAfterMs
    )
    if (swept.workers.length > 0) {
      yield* Effect.logWarning("freed the jobs of dead queue workers", {
        workers: swept.workers,
        failedRuns: swept.failedRuns
      })
    }
  })
  const liveness = Effect.suspend(() =>
    workerId === ""
      ? Effect.void
      : WorkerLiveness.beat(sql, workerId, host, process.pid).pipe(
          Effect.andThen(Clock.currentTimeMillis),
          Effect.tap((now) => Effect.sync(() => (healthySince ??= now))),
          Effect.tapError(() => Effect.sync(() => (healthySince = undefined))),
          Effect.andThen(sweep),
          Effect.catch((error) => Effect.logWarning("queue heartbeat failed", { error }))
        )
  )
  yield* Effect.forkScoped(Effect.repeat(liveness, Schedule.spaced(heartbeatInterval)))

  const concurrency = options.concurrency ?? 4
  const clock = yield* Clock.Clock
  const pollIntervalMs = Duration.toMillis(Duration.fromInputUnsafe(options.pollInterval ?? Duration.seconds(2)))
  const startPool = Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        created = undefined
        const runner = await run(
          {
            connectionString: Redacted.value(options.connectionString),
            concurrency,
            pollInterval: pollIntervalMs,
            noHandleSignals: true,
            taskList: { [RunJobs.TASK]: handler },
            events,
            logger,
            // Batched, a failure to record a job's outcome (the database is down) makes the pool shut
            // itself down, and the pool is replaced (PoolWatch); unbatched, it is an unhandled rejection
            // that ends the process.
            preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
          },
          undefined,
          []
        )
        const id = created as string | undefined
        if (id === undefined) {
          await runner.stop().catch(() => undefined)
          throw new Error("graphile-worker created no pool")
        }
        const watch = PoolWatch.watch(events, id, runner.promise, {
          concurrency,
          stallAfterMs: Math.max(STALL_AFTER_MS, 10 * pollIntervalMs),
          checkEveryMs: Duration.toMillis(heartbeatInterval),
          now: () => clock.currentTimeMillisUnsafe()
        })
        return { id, runner, watch }
      },
      catch: (cause) => new QueueError({ operation: "startWorker", cause })
    }),
    // A pool that gave up may never finish stopping (see PoolWatch): it is waited for a bounded time, then
    // left behind; the jobs it still holds are freed by the sweep, as a dead worker's.
    (pool) =>
      Effect.promise(() => {
        pool.watch.dispose()
        let timer: ReturnType<typeof setTimeout> | undefined
        const timedOut = new Promise<"timed-out">((resolve) => {
          timer = setTimeout(() => resolve("timed-out"), STOP_TIMEOUT_MS)
        })
        return Promise.race([
          pool.runner.stop().then(
            () => "stopped" as const,
            () => "stopped" as const
          ),
          timedOut
        ]).finally(() => clearTimeout(timer))
      }).pipe(
        Effect.flatMap((outcome) =>
          outcome === "timed-out"
            ? Effect.logWarning("the queue worker pool did not stop in time; it is left behind", {
                workerId: pool.id,
                waitedMs: STOP_TIMEOUT_MS
              })
            : Effect.void
        )
      )
  ).pipe(
    Effect.tap((pool) =>
      Effect.sync(() => {
        workerId = pool.id
        started.push(pool.id)
      })
    ),
    // The heartbeat at once: the sweep of other workers must not take the new pool for a dead one.
    Effect.tap(() => liveness),
    Effect.tap(() => Effect.logInfo("queue worker started", { workerId }))
  )
  // A replaced pool's jobs were released by its stop, or are freed by the sweep, as for a dead worker.
  yield* PoolSupervisor.supervise(startPool, {
    ended: (pool) => pool.watch.done,
    retry: Schedule.spaced(heartbeatInterval)
  })
  return QueueWorker.of({
    get workerId() {
      return workerId
    }
  })
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
