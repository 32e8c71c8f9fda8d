/**
 * Two worker processes share the queue; one is SIGKILLed while it holds runs (its jobs hang until
 * killed). graphile-worker alone would keep those jobs locked for hours: the survivor's sweeper sees the
 * dead worker's heartbeat go stale, frees its jobs and executes them. Every item ends processed exactly
 * once.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { SensorRunner, SqlSensorStore } from "@medallion/sensors"
import { ChildScript, TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Redacted, String as Str } from "effect"
import * as QueueLauncher from "../src/QueueLauncher.ts"
import * as TestSensor from "./TestSensor.ts"

const CHILD = Path.join(import.meta.dirname, "child", "worker.ts")
const TOTAL = 12
const BATCH_SIZE = 2

const spawn = (env: Record<string, string>) => ChildScript.spawn(CHILD, env)

describe("queue workers in real processes", () => {
  it.live(
    "SIGKILL of a worker holding runs: the other frees its jobs after its heartbeat went stale; every item once",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_queue_crash")
        const Database = PgClient.layer({
          url: database.url,
          transformResultNames: Str.snakeToCamel,
          maxConnections: 4
        })
        const sensor = TestSensor.make({ total: TOTAL, batchSize: BATCH_SIZE, worker: "runner" })
        const context = yield* Layer.build(
          QueueLauncher.layer().pipe(Layer.provideMerge(SqlSensorStore.layer), Layer.provideMerge(Database))
        )
        const sql = yield* Effect.provideContext(PgClient.PgClient.use(Effect.succeed), context)
        const counts = () => Effect.provideContext(TestSensor.counts, context)
        yield* TestSensor.prepare.pipe(Effect.provideContext(context))
        const env = {
          CHILD_DATABASE_URL: Redacted.value(database.url),
          CHILD_TOTAL: String(TOTAL),
          CHILD_BATCH_SIZE: String(BATCH_SIZE)
        }

        // The worker to be killed starts first and takes runs, which hang.
        const doomed = yield* spawn({ ...env, CHILD_NAME: "doomed", CHILD_BLOCK: "1" })
        yield* TestSensor.until(Effect.sync(() => doomed.output().includes("WORKER_STARTED")))
        // One tick queues all the runs (the runner ticks once at start).
        yield* Layer.build(SensorRunner.layer([sensor], { owner: "runner" })).pipe(Effect.provideContext(context))
        yield* TestSensor.until(Effect.sync(() => doomed.output().split("RUN_STARTED").length - 1 === 2))
        const held = yield* sql<{ runKey: string }>`
          select payload->>'runKey' as "runKey" from graphile_worker._private_jobs where locked_at is not null`
        assert.strictEqual(held.length, 2)

        yield* spawn({ ...env, CHILD_NAME: "survivor" })
        // The survivor executes the other runs while the doomed worker is alive and holds its two.
        // (A job is deleted just after its run commits: wait for both, only the doomed worker's two jobs left.)
        yield* TestSensor.until(Effect.map(counts(), (c) => c.succeeded === TOTAL / BATCH_SIZE - 2 && c.jobs === 2))
        const stillHeld = yield* sql<{ runKey: string }>`
          select payload->>'runKey' as "runKey" from graphile_worker._private_jobs where locked_at is not null`
        assert.deepStrictEqual(stillHeld.map((row) => row.runKey).toSorted(), held.map((row) => row.runKey).toSorted())
        yield* doomed.kill

        yield* TestSensor.until(Effect.map(counts(), (c) => c.succeeded === TOTAL / BATCH_SIZE && c.jobs === 0))
        assert.deepStrictEqual(yield* counts(), {
          jobs: 0,
          runs: TOTAL / BATCH_SIZE,
          succeeded: TOTAL / BATCH_SIZE,
          failed: 0,
          processed: TOTAL,
          twice: 0
        })
        const byWorker = yield* sql<{ worker: string; n: number }>`
          select worker, count(*)::int as n from processed group by worker order by worker`
        assert.deepStrictEqual(byWorker, [{ worker: "survivor", n: TOTAL }])
        // The runs the doomed worker held were attempted twice: once by it, once by the survivor.
        const attempts = yield* sql<{ runKey: string; attempts: number }>`
          select run_key as "runKey", attempts from sensor_runs where attempts > 1 order by run_key`
        assert.deepStrictEqual(
          attempts.map((row) => row.runKey),
          held.map((row) => row.runKey).toSorted()
        )
        // Only the survivor's heartbeat row is left.
        const workers = yield* sql<{ n: number }>`select count(*)::int as n from queue_workers`
        assert.strictEqual(workers[0]!.n, 1)
      }).pipe(Effect.scoped),
    90_000
  )
})
