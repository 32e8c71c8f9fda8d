import { assert, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue, Schema } from "effect"
import { TestClock } from "effect/testing"
import { SensorStateRepo } from "../src/SensorStateRepo.ts"

const Cursor = Schema.Struct({ offset: Schema.Int })

it.effect("SensorStateRepo.layerTest keeps typed cursors, ticks, runs and their retention", () =>
  Effect.gen(function* () {
    const repo = yield* SensorStateRepo
    assert.isTrue(Option.isNone(yield* repo.getCursor("s", Cursor)))
    yield* repo.putCursor("s", Cursor, { offset: 3 })
    assert.deepStrictEqual(yield* repo.getCursor("s", Cursor), Option.some({ offset: 3 }))
    const Big = Schema.Struct({ pad: Schema.String })
    assert.strictEqual(
      (yield* Effect.flip(repo.putCursor("s", Big, { pad: "x".repeat(70_000) })))._tag,
      "CursorTooLarge"
    )
    assert.strictEqual(
      (yield* Effect.flip(repo.getCursor("s", Schema.Struct({ other: Schema.String }))))._tag,
      "CursorInvalid"
    )

    const id = yield* repo.startTick("s", { offset: 3 })
    yield* TestClock.adjust("250 millis")
    yield* repo.finishTick(id, { status: "success", cursorAfter: { offset: 4 }, runKeys: ["a"] })
    const [tick] = yield* repo.recentTicks({ sensor: "s", limit: 1 })
    assert.strictEqual(tick!.durationMs, 250)
    assert.deepStrictEqual(tick!.runKeys, ["a"])

    assert.deepStrictEqual(
      yield* repo.insertRuns("s", [
        { runKey: "a", itemKeys: [] },
        { runKey: "b", itemKeys: [] }
      ]),
      ["a", "b"]
    )
    assert.deepStrictEqual(yield* repo.insertRuns("s", [{ runKey: "a", itemKeys: [] }]), [])
    assert.deepStrictEqual([...(yield* repo.existingRunKeys("s", ["a", "z"]))], ["a"])
    yield* repo.markRun("s", "a", "running")
    yield* repo.markRun("s", "a", "failed", "boom")
    assert.strictEqual((yield* Effect.flip(repo.markRun("s", "zz", "running")))._tag, "RunNotFound")
    assert.deepStrictEqual(yield* repo.retryFailedRuns("s"), ["a"])
    yield* repo.markRun("s", "b", "running")
    yield* repo.markRun("s", "b", "succeeded")
    yield* TestClock.adjust("2 hours")
    assert.strictEqual(yield* repo.pruneRuns({ succeededMaxAge: "1 hour" }), 1)
    assert.strictEqual(yield* repo.pruneTicks({ maxAge: "1 hour" }), 1)
  }).pipe(Effect.provide(SensorStateRepo.layerTest))
)

it.effect("SensorStateRepo.layerTest: the sensor lock excludes a second holder and a failed tick writes nothing", () =>
  Effect.gen(function* () {
    const repo = yield* SensorStateRepo
    const failed = yield* Effect.flip(
      repo.withSensorLock(
        "s",
        Effect.andThen(repo.putCursor("s", Cursor, { offset: 9 }), Effect.fail("tick failed" as const))
      )
    )
    assert.strictEqual(failed, "tick failed")
    assert.isTrue(Option.isNone(yield* repo.getCursor("s", Cursor)))

    const holding = yield* Queue.unbounded<void>()
    const release = yield* Queue.unbounded<void>()
    const fiber = yield* repo
      .withSensorLock("s", Effect.andThen(Queue.offer(holding, undefined), Queue.take(release)))
      .pipe(Effect.forkChild)
    yield* Queue.take(holding)
    assert.deepStrictEqual(yield* repo.withSensorLock("s", Effect.succeed(1)), Option.none())
    yield* Queue.offer(release, undefined)
    yield* Fiber.join(fiber)
    assert.deepStrictEqual(yield* repo.withSensorLock("s", Effect.succeed(2)), Option.some(2))
  }).pipe(Effect.provide(SensorStateRepo.layerTest))
)
