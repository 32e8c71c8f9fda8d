/**
 * The exactly-once hand-off of a runner on the queue: the runs, their jobs and the cursor commit in one
 * transaction. A cursor write that fails after the runs were accepted leaves no job and no run record.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { SensorRunner, SensorStore, SensorStoreError, SqlSensorStore } from "@medallion/sensors"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Option, String as Str } from "effect"
import * as QueueLauncher from "../src/QueueLauncher.ts"
import * as TestSensor from "./TestSensor.ts"

/** The SQL store, except that every cursor write fails (after whatever came before it in its transaction). */
const cursorWriteFails = Layer.effect(
  SensorStore,
  Effect.map(SqlSensorStore.make, (store) =>
    SensorStore.of({
      ...store,
      putCursor: (sensor) =>
        Effect.fail(
          new SensorStoreError({ operation: "putCursor", cause: new Error(`the cursor write of ${sensor} fails`) })
        )
    })
  )
)

describe("the queue's hand-off", () => {
  it.live(
    "a cursor write failing after the runs were accepted leaves no job and no sensor_runs row",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const database = yield* TestDatabase.makeDatabase("medallion_handoff")
          const connection = yield* Layer.build(
            PgClient.layer({ url: database.url, transformResultNames: Str.snakeToCamel })
          )
          yield* TestSensor.prepare.pipe(Effect.provideContext(connection))
          const context = yield* Layer.build(
            SensorRunner.layer([TestSensor.make({ total: 6, batchSize: 2, worker: "w" })], {
              owner: "runner",
              wakeFloor: "10 millis"
            }).pipe(
              Layer.provideMerge(QueueLauncher.layer()),
              Layer.provideMerge(cursorWriteFails),
              Layer.provideMerge(Layer.succeedContext(connection))
            )
          )
          const { runner, store } = yield* Effect.all({
            runner: SensorRunner.SensorRunner,
            store: SensorStore
          }).pipe(Effect.provideContext(context))

          const report = yield* Effect.timeoutOrElse(runner.tick(TestSensor.SENSOR), {
            duration: "20 seconds",
            orElse: () => Effect.die("the tick did not report within 20 s")
          })
          // The runs had been recorded and enqueued in the transaction, before the cursor write failed.
          assert.deepInclude(yield* TestSensor.counts.pipe(Effect.provideContext(context)), { jobs: 0, runs: 0 })
          assert.isTrue(
            Option.isNone(yield* store.getRun(TestSensor.SENSOR, "items-0-1").pipe(Effect.provideContext(context)))
          )
          assert.strictEqual(report.status, "failed")
          assert.strictEqual(
            report.reason,
            "runs not accepted: SensorStoreError: sensor store putCursor failed: the cursor write of queue.test fails"
          )
        })
      ),
    60_000
  )
})
