/**
 * `QueueLauncher.layerTest` under `SensorRunner.layerTest`: a sensor's ticks on demand, its runs enqueued
 * in the tick's hand-off (the cursor moving with them, as with the real queue) and executed in this process
 * like a worker does: retried attempts, per-item failures, a dead run recorded failed with the reason, and
 * `retryFailed` enqueuing it again. No database, on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Job, Sensor, SensorRunner, SensorStore } from "@medallion/sensors"
import { Effect, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { EnqueuedRuns } from "../src/QueueLauncherTest.ts"
import * as QueueLauncher from "../src/QueueLauncher.ts"

interface World {
  readonly letters: Array<string>
  readonly done: Array<string>
  /** Attempts that fail before one succeeds, per letter. */
  readonly flaky: Map<string, number>
  readonly bad: Set<string>
}

const lettersSensor = (world: World) =>
  Sensor.make({
    name: "letters",
    cursor: Schema.Struct({ next: Schema.Int }),
    initial: { next: 0 },
    evaluate: (cursor) =>
      Effect.sync(() =>
        cursor.next >= world.letters.length
          ? Sensor.skip("nothing new", cursor)
          : Sensor.runs(
              world.letters.slice(cursor.next).map((letter) => ({ runKey: `letter-${letter}`, items: [letter] })),
              { next: world.letters.length }
            )
      ),
    job: Job.make({
      name: "record",
      item: Schema.String,
      run: (items) =>
        Effect.gen(function* () {
          for (const letter of items) {
            const left = world.flaky.get(letter) ?? 0
            if (left > 0) {
              world.flaky.set(letter, left - 1)
              return yield* Effect.fail(`${letter} is not ready`)
            }
          }
          world.done.push(...items.filter((letter) => !world.bad.has(letter)))
          return {
            failures: items.filter((letter) => world.bad.has(letter)).map((item) => ({ item, reason: "bad letter" }))
          }
        })
    })
  })

const runnerWith = (world: World, launcher: ReturnType<typeof QueueLauncher.layerTest>) =>
  SensorRunner.layerTest([lettersSensor(world)], { launcher })

describe("QueueLauncher.layerTest", () => {
  it.effect("ticks only on demand; runs are enqueued with the cursor, then executed with retries", () => {
    const world: World = { letters: ["a", "b", "c"], done: [], flaky: new Map([["b", 2]]), bad: new Set(["c"]) }
    const launcher = QueueLauncher.layerTest({ maxAttempts: 3 })
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      const queue = yield* EnqueuedRuns
      // Nothing evaluates by itself, however long the test waits.
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(yield* store.recentTicks("letters", 10), [])

      const report = yield* runner.tick("letters")
      assert.deepStrictEqual(report.requested, ["letter-a", "letter-b", "letter-c"])
      // The durable hand-off: the cursor is stored with the runs, before any of them ran.
      assert.deepStrictEqual(yield* store.getCursor("letters"), Option.some({ next: 3 }))
      assert.deepStrictEqual(
        (yield* queue.all).map((run) => [run.runKey, run.items]),
        [
          ["letter-a", ["a"]],
          ["letter-b", ["b"]],
          ["letter-c", ["c"]]
        ]
      )
      yield* queue.drained
      assert.deepStrictEqual([...world.done].sort(), ["a", "b"])
      const b = Option.getOrThrow(yield* store.getRun("letters", "letter-b"))
      assert.deepStrictEqual([b.status, b.attempts], ["succeeded", 3])
      const c = Option.getOrThrow(yield* store.getRun("letters", "letter-c"))
      assert.strictEqual(c.status, "failed")
      assert.deepStrictEqual(c.failures, [{ item: "c", reason: "bad letter" }])

      // A second tick finds nothing new; a retry enqueues the failed run again, with its failed items.
      assert.strictEqual((yield* runner.tick("letters")).status, "skipped")
      world.bad.clear()
      assert.deepStrictEqual(yield* runner.retryFailed("letters"), ["letter-c"])
      yield* queue.drained
      assert.strictEqual((yield* queue.all).length, 4)
      assert.strictEqual(Option.getOrThrow(yield* store.getRun("letters", "letter-c")).status, "succeeded")
      assert.deepStrictEqual([...world.done].sort(), ["a", "b", "c"])
    }).pipe(Effect.provide(runnerWith(world, launcher)))
  })

  it.effect("a run whose every attempt fails is recorded failed with the reason", () => {
    const world: World = { letters: ["z"], done: [], flaky: new Map([["z", 99]]), bad: new Set() }
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("letters")
      yield* (yield* EnqueuedRuns).drained
      const z = Option.getOrThrow(yield* store.getRun("letters", "letter-z"))
      assert.deepStrictEqual([z.status, z.attempts, z.error], ["failed", 3, "z is not ready"])
    }).pipe(Effect.provide(runnerWith(world, QueueLauncher.layerTest({ maxAttempts: 3 }))))
  })
})
