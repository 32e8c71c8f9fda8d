import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { SensorStore } from "../src/SensorStore.ts"

describe("SensorStore.layerTest", () => {
  it.effect("one lease owner at a time; an expired lease is taken over; cursor writes are fenced", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      assert.isTrue(yield* store.acquireLease("s", "a", 1000, { n: 0 }))
      assert.isFalse(yield* store.acquireLease("s", "b", 1000, { n: 0 }))
      yield* store.putCursor("s", "a", { n: 1 })
      const refused = yield* Effect.flip(store.putCursor("s", "b", { n: 2 }))
      assert.strictEqual(refused._tag, "LeaseLost")
      yield* TestClock.adjust(1001)
      assert.isTrue(yield* store.acquireLease("s", "b", 1000, { n: 0 }))
      // The initial cursor only applies the first time.
      assert.deepStrictEqual(yield* store.getCursor("s"), Option.some({ n: 1 }))
      assert.isFalse(yield* store.renewLease("s", "a", 1000))
      assert.strictEqual((yield* Effect.flip(store.putCursor("s", "a", { n: 3 })))._tag, "LeaseLost")
      yield* store.releaseLease("s", "b")
      assert.isTrue(yield* store.acquireLease("s", "a", 1000, { n: 0 }))
    }).pipe(Effect.provide(SensorStore.layerTest))
  )

  it.effect("a failed transaction leaves no run records and no tick outcome behind", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const tick = yield* store.startTick("s", { n: 0 })
      const failed = yield* Effect.flip(
        store.withTransaction(
          Effect.gen(function* () {
            yield* store.insertRuns("s", [{ runKey: "r1", items: [1] }])
            yield* store.finishTick(tick, {
              status: "success",
              reason: null,
              cursorAfter: { n: 1 },
              runKeys: ["r1"],
              durationMs: 1
            })
            return yield* Effect.fail("boom")
          })
        )
      )
      assert.strictEqual(failed, "boom")
      assert.isTrue(Option.isNone(yield* store.getRun("s", "r1")))
      const [latest] = yield* store.recentTicks("s", 1)
      assert.strictEqual(latest!.status, "started")
      assert.strictEqual((yield* store.existingRunKeys("s", ["r1"])).size, 0)
    }).pipe(Effect.provide(SensorStore.layerTest))
  )

  it.effect("retention keeps the newest ticks per sensor and drops old finished runs", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      for (let i = 0; i < 5; i++) yield* store.startTick("s", { n: i })
      yield* store.insertRuns("s", [
        { runKey: "old", items: [] },
        { runKey: "open", items: [] }
      ])
      yield* store.updateRun("s", "old", { status: "succeeded" })
      yield* TestClock.adjust(10_000)
      const pruned = yield* store.prune({ keepTicks: 2, runMaxAgeMs: 5_000 })
      assert.deepStrictEqual(pruned, { ticks: 3, runs: 1 })
      assert.strictEqual((yield* store.recentTicks("s", 10)).length, 2)
      assert.isTrue(Option.isSome(yield* store.getRun("s", "open")))
    }).pipe(Effect.provide(SensorStore.layerTest))
  )
})
