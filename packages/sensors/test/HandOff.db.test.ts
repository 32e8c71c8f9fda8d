/**
 * The owner check of the hand-off, on the SQL store with the in-process launcher: a runner whose lease
 * is taken over while its tick evaluates records no run and launches nothing.
 */
import { assert, describe, layer } from "@effect/vitest"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Clock, Deferred, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as Job from "../src/Job.ts"
import * as Sensor from "../src/Sensor.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"

const executed: Array<number> = []
const tookOver = Deferred.makeUnsafe<void>()

/** While it evaluates, another owner takes its lease over (as after a pause longer than the lease). */
const sensor = Sensor.make({
  name: "stolen",
  cursor: Schema.Struct({ next: Schema.Int }),
  initial: { next: 0 },
  minInterval: "1 hour",
  evaluate: (cursor) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      yield* sql`update sensor_state set lease_owner = 'thief', lease_expires_at = clock_timestamp() + interval '1 hour'
                 where sensor = 'stolen'`.pipe(Effect.orDie)
      yield* Deferred.succeed(tookOver, undefined)
      return Sensor.runs([{ runKey: "r-0", items: [0, 1] }], { next: cursor.next + 2 })
    }),
  job: Job.make({
    name: "record",
    item: Schema.Int,
    run: (items) => Effect.sync(() => (executed.push(...items), Job.succeeded))
  })
})

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))
const Harness = SensorRunner.layer([sensor], { owner: "victim", leaseTtl: "3 seconds" }).pipe(
  Layer.provideMerge(InProcessLauncher.layer()),
  Layer.provideMerge(SqlSensorStore.layer),
  Layer.provideMerge(Database)
)

/** Polls `check` every 50 ms; fails with `what` once `seconds` have passed. */
const eventually = (what: string, seconds: number, check: Effect.Effect<boolean, unknown, SensorRunner.SensorRunner>) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + seconds * 1000
    while (!(yield* check)) {
      if ((yield* Clock.currentTimeMillis) > deadline)
        return yield* Effect.die(`${what} did not happen within ${seconds} s`)
      yield* Effect.sleep("50 millis")
    }
  })

describe("the hand-off's owner check", () => {
  layer(Harness, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a runner whose lease was taken over between evaluate and accept records and launches nothing", () =>
      Effect.gen(function* () {
        const runner = yield* SensorRunner.SensorRunner
        const sql = yield* SqlClient
        // The runner ticks as soon as it owns the sensor.
        yield* Effect.timeoutOrElse(Deferred.await(tookOver), {
          duration: "20 seconds",
          orElse: () => Effect.die("the sensor was never evaluated")
        })
        // It notices the loss (in the hand-off, or at the latest at its next lease renewal) and stops.
        yield* eventually(
          "the runner giving the sensor up",
          20,
          Effect.map(runner.status("stolen"), (status) => !status.owned)
        )
        const runs = yield* sql<{ runKey: string }>`select run_key from sensor_runs where sensor = 'stolen'`
        assert.deepStrictEqual(runs, [])
        assert.deepStrictEqual(executed, [])
        const [state] = yield* sql<{ cursor: unknown; leaseOwner: string }>`
          select cursor, lease_owner from sensor_state where sensor = 'stolen'`
        assert.deepStrictEqual([state!.cursor, state!.leaseOwner], [{ next: 0 }, "thief"])
      })
    )
  })
})
