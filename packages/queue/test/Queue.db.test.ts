/**
 * The queue on a real PostgreSQL: the hand-off commits or rolls back as one with the tick, a worker
 * executes the runs and leaves no job behind, a failing run retries with backoff, ends dead and comes
 * back with `retry`, a run executed twice writes once, neither a held row lock nor a transaction left
 * idle keeps an attempt waiting, and a worker dead on a last attempt leaves its run failed, not running.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { RunExecutor, RunLauncher, SensorRunner, SensorStore, SqlSensorStore } from "@medallion/sensors"
import { TestDatabase } from "@medallion/silver/testing"
import { Cause, Clock, Context, Deferred, Effect, Exit, Fiber, Layer, Option, Scope, String as Str } from "effect"
import * as QueueAdmin from "../src/QueueAdmin.ts"
import * as QueueLauncher from "../src/QueueLauncher.ts"
import * as QueueWorker from "../src/QueueWorker.ts"
import * as RunJobs from "../src/RunJobs.ts"
import * as RunTask from "../src/RunTask.ts"
import * as WorkerLiveness from "../src/WorkerLiveness.ts"
import * as TestSensor from "./TestSensor.ts"

const MAX_ATTEMPTS = 2

/** A fresh database with silver's schema, the SQL store, the queue launcher (graphile's schema) and the admin. */
const setup = Effect.gen(function* () {
  const database = yield* TestDatabase.makeDatabase("medallion_queue")
  const Database = PgClient.layer({ url: database.url, transformResultNames: Str.snakeToCamel, maxConnections: 6 })
  const Store = SqlSensorStore.layer.pipe(Layer.provideMerge(Database))
  const context = yield* Layer.build(
    Layer.mergeAll(
      QueueLauncher.layer({ maxAttempts: MAX_ATTEMPTS }),
      QueueAdmin.layer({ maxAttempts: MAX_ATTEMPTS })
    ).pipe(Layer.provideMerge(Store))
  )
  yield* TestSensor.prepare.pipe(Effect.provideContext(context))
  return { database, context }
})

/** Runs a test's body against a fresh `setup` (its services provided), closing everything it opened after it. */
const inQueue = <A, E, R>(
  body: (database: Effect.Success<ReturnType<typeof TestDatabase.makeDatabase>>) => Effect.Effect<A, E, R>
) => Effect.scoped(Effect.flatMap(setup, ({ database, context }) => Effect.provideContext(body(database), context)))

/** The reason a failed attempt of `RunTask` gives (what graphile-worker records as the job's last error). */
const reason = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isFailure(exit) ? String(Cause.squash(exit.cause)) : "the attempt did not fail"

const workerLayer = (
  sensor: ReturnType<typeof TestSensor.make>,
  url: PgClient.PgClient["config"]["url"],
  options: Partial<QueueWorker.QueueWorkerOptions> = {}
) =>
  QueueWorker.layer([sensor], {
    connectionString: url!,
    concurrency: 2,
    pollInterval: "100 millis",
    heartbeatInterval: "500 millis",
    deadAfter: "10 seconds",
    ...options
  })

describe("QueueLauncher", () => {
  it.live(
    "the tick's runs, their jobs and the cursor commit together: a rollback leaves none of them",
    () =>
      inQueue(() =>
        Effect.gen(function* () {
          const store = yield* SensorStore
          const launcher = yield* RunLauncher
          assert.strictEqual(launcher.cursorCommit, "accept")
          assert.isTrue(yield* store.acquireLease(TestSensor.SENSOR, "owner", 60_000, { next: 0 }))
          const runs = [0, 1, 2].map((i) => ({
            sensor: TestSensor.SENSOR,
            runKey: `run-${i}`,
            items: [i],
            execute: () => Effect.succeed({ failures: [] })
          }))
          const handOff = store.withTransaction(
            Effect.gen(function* () {
              yield* launcher.accept(runs)
              yield* store.putCursor(TestSensor.SENSOR, "owner", { next: 3 })
              // Everything is visible inside the transaction...
              assert.deepInclude(yield* TestSensor.counts, { jobs: 3, runs: 3 })
              return yield* Effect.fail("tick failed after the hand-off")
            })
          )
          assert.strictEqual(reason(yield* Effect.exit(handOff)), "tick failed after the hand-off")
          // ...and nothing is left after the rollback.
          assert.deepInclude(yield* TestSensor.counts, { jobs: 0, runs: 0 })
          assert.deepStrictEqual(yield* store.getCursor(TestSensor.SENSOR), Option.some({ next: 0 }))

          yield* store.withTransaction(
            Effect.andThen(launcher.accept(runs), store.putCursor(TestSensor.SENSOR, "owner", { next: 3 }))
          )
          assert.deepInclude(yield* TestSensor.counts, { jobs: 3, runs: 3 })
          assert.deepStrictEqual(yield* store.getCursor(TestSensor.SENSOR), Option.some({ next: 3 }))

          // Queued again (recovery): no second job for a run whose job is queued.
          yield* Effect.scoped(launcher.start(runs, () => Effect.void))
          assert.deepInclude(yield* TestSensor.counts, { jobs: 3 })
          const sql = yield* PgClient.PgClient
          const payloads = yield* sql<{ payload: unknown; key: string }>`
            select payload, key from graphile_worker._private_jobs order by key`
          assert.deepStrictEqual(
            payloads.map((row) => row.key),
            ["queue.test/run-0", "queue.test/run-1", "queue.test/run-2"]
          )
          assert.deepStrictEqual(payloads[0]!.payload, { sensor: TestSensor.SENSOR, runKey: "run-0" })
        })
      ),
    60_000
  )

  it.live(
    "a runner ticks into the queue and a worker executes every run; completed jobs are deleted",
    () =>
      inQueue((database) =>
        Effect.gen(function* () {
          const sensor = TestSensor.make({ total: 12, batchSize: 2, worker: "w" })
          const daemon = yield* Scope.make()
          const built = yield* Layer.buildWithScope(
            Layer.mergeAll(
              SensorRunner.layer([sensor], { owner: "runner", wakeFloor: "10 millis" }),
              workerLayer(sensor, database.url)
            ),
            daemon
          )
          yield* TestSensor.until(
            Effect.map(TestSensor.counts, (c) => c.succeeded === 6 && c.jobs === 0 && c.processed === 12)
          )
          const counts = yield* TestSensor.counts
          assert.deepStrictEqual(counts, { jobs: 0, runs: 6, succeeded: 6, failed: 0, processed: 12, twice: 0 })
          const store = yield* SensorStore
          assert.deepStrictEqual(yield* store.getCursor(TestSensor.SENSOR), Option.some({ next: 12 }))
          const admin = yield* QueueAdmin.QueueAdmin
          assert.deepStrictEqual(yield* admin.stats, { queued: 0, running: 0, dead: 0, workers: 1 })
          // The heartbeat row is the pool's, and a graceful stop removes it.
          const sql = yield* PgClient.PgClient
          const workerId = Context.get(built, QueueWorker.QueueWorker).workerId
          assert.deepStrictEqual(yield* sql`select worker_id from queue_workers`, [{ workerId }])
          yield* Scope.close(daemon, Exit.void)
          assert.deepStrictEqual(yield* sql`select worker_id from queue_workers`, [])
        })
      ),
    60_000
  )

  it.live(
    "an attempt that outlives the run timeout is given up and retried, and the last one leaves the run failed",
    () =>
      inQueue((database) =>
        Effect.gen(function* () {
          const sensor = TestSensor.make({ total: 2, batchSize: 2, worker: "w", block: true })
          const admin = yield* QueueAdmin.QueueAdmin
          yield* Layer.build(
            Layer.mergeAll(
              SensorRunner.layer([sensor], { owner: "runner", wakeFloor: "10 millis" }),
              workerLayer(sensor, database.url, { runTimeout: "1 second" })
            )
          )
          yield* TestSensor.until(Effect.map(admin.stats, (stats) => stats.dead === 1))
          const dead = yield* admin.deadJobs()
          assert.deepStrictEqual(
            dead.map((job) => [job.runKey, job.attempts, job.lastError]),
            [["items-0-1", MAX_ATTEMPTS, "the run did not finish within 1000 ms on its last attempt; it is given up"]]
          )
          const store = yield* SensorStore
          const run = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "items-0-1"))
          assert.deepStrictEqual(
            [run.status, run.attempts, run.error],
            ["failed", MAX_ATTEMPTS, "the run did not finish within 1000 ms on its last attempt; it is given up"]
          )
          assert.deepInclude(yield* TestSensor.counts, { processed: 0 })
        })
      ),
    60_000
  )

  it.live(
    "a run that errors is retried with backoff, ends dead with its reason, and `retry` brings it back",
    () =>
      inQueue((database) =>
        Effect.gen(function* () {
          const sensor = TestSensor.make({ total: 4, batchSize: 2, worker: "w" })
          const sql = yield* PgClient.PgClient
          const admin = yield* QueueAdmin.QueueAdmin
          yield* sql`insert into poison (item) values (3)`
          yield* Layer.build(
            Layer.mergeAll(
              SensorRunner.layer([sensor], { owner: "runner", wakeFloor: "10 millis" }),
              workerLayer(sensor, database.url)
            )
          )
          yield* TestSensor.until(Effect.map(admin.stats, (stats) => stats.dead === 1))
          const dead = yield* admin.deadJobs()
          assert.deepStrictEqual(
            dead.map((job) => ({ ...job })),
            [
              {
                sensor: TestSensor.SENSOR,
                runKey: "items-2-3",
                attempts: MAX_ATTEMPTS,
                maxAttempts: MAX_ATTEMPTS,
                lastError: "Error: poisoned item 3"
              }
            ]
          )
          const store = yield* SensorStore
          const run = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "items-2-3"))
          assert.strictEqual(run.status, "failed")
          assert.strictEqual(run.error, "Error: poisoned item 3")
          assert.strictEqual(run.attempts, MAX_ATTEMPTS)
          assert.deepInclude(yield* TestSensor.counts, { succeeded: 1, failed: 1, processed: 2, jobs: 1 })

          yield* sql`delete from poison`
          assert.deepStrictEqual(yield* admin.retry(TestSensor.SENSOR), ["items-2-3"])
          yield* TestSensor.until(Effect.map(TestSensor.counts, (c) => c.succeeded === 2 && c.jobs === 0))
          assert.deepStrictEqual(yield* TestSensor.counts, {
            jobs: 0,
            runs: 2,
            succeeded: 2,
            failed: 0,
            processed: 4,
            twice: 0
          })
          assert.deepInclude(yield* admin.stats, { dead: 0, queued: 0 })
          assert.deepStrictEqual(yield* admin.deadJobs(), [])
        })
      ),
    60_000
  )

  it.live(
    "a run whose job executes twice, one after the other or at once, writes silver once",
    () =>
      inQueue(() =>
        Effect.gen(function* () {
          const sensor = TestSensor.make({ total: 4, batchSize: 2, worker: "w" })
          const store = yield* SensorStore
          yield* store.insertRuns(TestSensor.SENSOR, [
            { runKey: "a", items: [0, 1] },
            { runKey: "b", items: [2, 3] }
          ])
          const task = RunTask.make(yield* RunExecutor.make([sensor]))
          const attempt = { attempt: 1, maxAttempts: MAX_ATTEMPTS }
          const payload = (runKey: string) => ({ sensor: TestSensor.SENSOR, runKey })

          assert.strictEqual(yield* task(payload("a"), attempt), "succeeded")
          assert.strictEqual(yield* task(payload("a"), attempt), "finished-before")
          const both = yield* Effect.all([task(payload("b"), attempt), task(payload("b"), attempt)], {
            concurrency: 2
          })
          assert.deepStrictEqual(both.toSorted(), ["finished-before", "succeeded"])

          assert.deepInclude(yield* TestSensor.counts, { succeeded: 2, processed: 4, twice: 0 })
          const run = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "b"))
          assert.strictEqual(run.status, "succeeded")
          // A payload that is not a run is an error of the attempt, not a defect of the worker.
          assert.match(
            reason(yield* Effect.exit(task({ nope: 1 }, attempt))),
            /^SchemaError\(Missing key\n\s+at \["sensor"\]/
          )
        })
      ),
    60_000
  )

  it.live(
    "an attempt blocked on its run's row lock gives up; a run's transaction left idle is ended by PostgreSQL",
    () =>
      inQueue(() =>
        Effect.gen(function* () {
          const store = yield* SensorStore
          const sql = yield* PgClient.PgClient
          yield* store.insertRuns(TestSensor.SENSOR, [{ runKey: "a", items: [0, 1] }])
          const payload = { sensor: TestSensor.SENSOR, runKey: "a" }
          const attempt = { attempt: 1, maxAttempts: MAX_ATTEMPTS }
          const sensor = TestSensor.make({ total: 2, batchSize: 2, worker: "w" })

          // Another connection holds the run's row (a worker whose machine vanished mid-run).
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const holder = yield* Effect.forkScoped(
            sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`select 1 as one from sensor_runs where run_key = 'a' for update`
                yield* Deferred.succeed(locked, undefined)
                yield* Deferred.await(release)
              })
            )
          )
          yield* Deferred.await(locked)
          const impatient = RunTask.make(yield* RunExecutor.make([sensor]), { lockTimeout: "200 millis" })
          const blocked = yield* Effect.exit(impatient(payload, attempt))
          assert.include(reason(blocked), "canceling statement due to lock timeout")
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(holder)

          // A job pausing longer than the idle timeout inside the run's transaction: PostgreSQL ends the
          // connection, the attempt fails instead of holding the lock, and nothing of it is left.
          const paused = TestSensor.make({
            total: 2,
            batchSize: 2,
            worker: "w",
            onRunStarted: Effect.sleep("2 seconds")
          })
          const strict = RunTask.make(yield* RunExecutor.make([paused]), { idleInTransactionTimeout: "300 millis" })
          const ended = yield* Effect.exit(strict(payload, attempt))
          assert.include(reason(ended), "terminating connection due to idle-in-transaction timeout")
          assert.deepInclude(yield* TestSensor.counts, { processed: 0, succeeded: 0 })
          const run = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "a"))
          assert.strictEqual(run.status, "running")

          // The row is free and the pool works on: the next attempt executes the run.
          const task = RunTask.make(yield* RunExecutor.make([sensor]))
          assert.strictEqual(yield* task(payload, { attempt: 2, maxAttempts: MAX_ATTEMPTS }), "succeeded")
          assert.deepInclude(yield* TestSensor.counts, { processed: 2, succeeded: 1, twice: 0 })
        })
      ),
    60_000
  )

  it.live(
    "after an outage every heartbeat is stale: a worker sweeps only once it has beaten for deadAfter itself",
    () =>
      inQueue((database) =>
        Effect.gen(function* () {
          const sensor = TestSensor.make({ total: 0, batchSize: 1, worker: "w" })
          const sql = yield* PgClient.PgClient
          // Another worker, alive but unable to beat while the database was away: its heartbeat is old.
          yield* sql`insert into queue_workers (worker_id, heartbeat_at, host, pid)
                     values ('away', now() - interval '1 minute', 'elsewhere', 1)`
          const started = yield* Clock.currentTimeMillis
          yield* Layer.build(
            QueueWorker.layer([sensor], {
              connectionString: database.url!,
              concurrency: 1,
              heartbeatInterval: "100 millis",
              deadAfter: "1500 millis"
            })
          )
          // Several heartbeats in, this worker has not been healthy for deadAfter yet: nobody is swept.
          yield* Effect.sleep("700 millis")
          const early = yield* sql<{ readonly workerId: string }>`select worker_id from queue_workers order by 1`
          const elapsed = (yield* Clock.currentTimeMillis) - started
          if (elapsed < 1500)
            assert.include(
              early.map((row) => row.workerId),
              "away"
            )
          // Once it has been, the silent one is swept.
          yield* TestSensor.until(
            Effect.map(
              sql<{
                readonly count: number
              }>`select count(*)::int as count from queue_workers where worker_id = 'away'`,
              (rows) => rows[0]!.count === 0
            )
          )
        }).pipe(Effect.scoped)
      ),
    60_000
  )

  it.live(
    "the sweep records failed the run of a job its dead worker held on the last attempt; retry re-queues it",
    () =>
      inQueue(() =>
        Effect.gen(function* () {
          const store = yield* SensorStore
          const sql = yield* PgClient.PgClient
          const admin = yield* QueueAdmin.QueueAdmin
          yield* store.insertRuns(TestSensor.SENSOR, [
            { runKey: "last", items: [0] },
            { runKey: "early", items: [1] }
          ])
          yield* RunJobs.add(sql, [{ sensor: TestSensor.SENSOR, runKey: "last" }], 1)
          yield* RunJobs.add(sql, [{ sensor: TestSensor.SENSOR, runKey: "early" }], 2)
          // A worker took both jobs (graphile-worker counts the attempt then), marked the runs running, and
          // died: its heartbeat is long stale.
          yield* sql`update graphile_worker._private_jobs
                     set locked_by = 'gone', locked_at = now() - interval '1 minute', attempts = 1`
          yield* sql`update sensor_runs set status = 'running', attempts = 1`
          yield* sql`insert into queue_workers (worker_id, heartbeat_at, host, pid)
                     values ('gone', now() - interval '1 minute', 'lost', 1)`

          const swept = yield* WorkerLiveness.sweep(sql, 10_000, 5_000)
          assert.deepStrictEqual(swept, {
            workers: ["gone"],
            failedRuns: [{ sensor: TestSensor.SENSOR, runKey: "last" }]
          })
          const last = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "last"))
          assert.strictEqual(last.status, "failed")
          assert.strictEqual(last.error, WorkerLiveness.DIED_ON_LAST_ATTEMPT)
          // The job with attempts left is only released, for a worker to take over.
          const early = Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "early"))
          assert.strictEqual(early.status, "running")
          assert.deepStrictEqual(yield* admin.stats, { queued: 1, running: 0, dead: 1, workers: 0 })
          assert.deepStrictEqual(
            (yield* admin.deadJobs()).map((job) => ({ ...job })),
            [
              {
                sensor: TestSensor.SENSOR,
                runKey: "last",
                attempts: 1,
                maxAttempts: 1,
                lastError: WorkerLiveness.DIED_ON_LAST_ATTEMPT
              }
            ]
          )
          // Nothing is left to sweep.
          assert.deepStrictEqual(yield* WorkerLiveness.sweep(sql, 10_000, 5_000), { workers: [], failedRuns: [] })

          assert.deepStrictEqual(yield* admin.retry(TestSensor.SENSOR), ["last"])
          assert.deepStrictEqual(yield* admin.stats, { queued: 2, running: 0, dead: 0, workers: 0 })
          assert.strictEqual(Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "last")).status, "requested")
        })
      ),
    60_000
  )

  it.live(
    "retry returns only the runs it re-queued, and deletes the dead jobs with nothing left to do",
    () =>
      inQueue(() =>
        Effect.gen(function* () {
          const store = yield* SensorStore
          const sql = yield* PgClient.PgClient
          const admin = yield* QueueAdmin.QueueAdmin
          yield* store.insertRuns(TestSensor.SENSOR, [
            { runKey: "failed", items: [0] },
            { runKey: "done", items: [1] }
          ])
          const runs = ["failed", "done", "pruned", "superseded"].map((runKey) => ({
            sensor: TestSensor.SENSOR,
            runKey
          }))
          yield* RunJobs.add(sql, runs, 1)
          // Every job is dead; "failed" is the only run left to do: "done" finished meanwhile, "pruned" is
          // no longer recorded, and "superseded" lost its key to a newer job (whose run is gone too).
          yield* sql`update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'boom'`
          yield* sql`update graphile_worker._private_jobs set key = null where key like '%/superseded'`
          yield* sql`update sensor_runs set status = 'failed', error = 'boom', finished_at = now() where run_key = 'failed'`
          yield* sql`update sensor_runs set status = 'succeeded', finished_at = now() where run_key = 'done'`
          assert.deepInclude(yield* admin.stats, { dead: 4 })

          assert.deepStrictEqual(yield* admin.retry(TestSensor.SENSOR), ["failed"])
          assert.deepStrictEqual(yield* admin.stats, { queued: 1, running: 0, dead: 0, workers: 0 })
          assert.strictEqual(Option.getOrThrow(yield* store.getRun(TestSensor.SENSOR, "failed")).status, "requested")
          // Nothing left to retry.
          assert.deepStrictEqual(yield* admin.retry(TestSensor.SENSOR), [])
        })
      ),
    60_000
  )
})
