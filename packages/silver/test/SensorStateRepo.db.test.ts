import { assert, it as baseIt, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Context, Effect, Fiber, Layer, Option, Queue, Schema } from "effect"
import { TestClock } from "effect/testing"
import { SensorStateRepo } from "../src/SensorStateRepo.ts"
import { SilverDatabase } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"

const Migrated = Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer))
const Repo = SensorStateRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Migrated)
)

const Cursor = Schema.Struct({ offset: Schema.Int, seen: Schema.Array(Schema.String) })

layer(Repo, { timeout: 60_000 })("SensorStateRepo", (it) => {
  it.effect("stores a typed cursor, refuses one over the size limit, and reports one that no longer decodes", () =>
    Effect.gen(function* () {
      const repo = yield* SensorStateRepo
      assert.isTrue(Option.isNone(yield* repo.getCursor("bronze.hn", Cursor)))
      yield* repo.putCursor("bronze.hn", Cursor, { offset: 42, seen: ["a", "b"] })
      assert.deepStrictEqual(Option.getOrThrow(yield* repo.getCursor("bronze.hn", Cursor)), {
        offset: 42,
        seen: ["a", "b"]
      })

      const big = { offset: 1, seen: Array.from({ length: 7000 }, (_, i) => `path-${i}`) }
      const tooLarge = yield* Effect.flip(repo.putCursor("bronze.hn", Cursor, big))
      assert.strictEqual(tooLarge._tag, "CursorTooLarge")
      assert.deepStrictEqual(Option.getOrThrow(yield* repo.getCursor("bronze.hn", Cursor)), {
        offset: 42,
        seen: ["a", "b"]
      })

      const Other = Schema.Struct({ position: Schema.String })
      const invalid = yield* Effect.flip(repo.getCursor("bronze.hn", Other))
      assert.strictEqual(invalid._tag, "CursorInvalid")

      yield* repo.setPaused("bronze.hn", true)
      const state = Option.getOrThrow(yield* repo.getState("bronze.hn"))
      assert.isTrue(state.paused)
      assert.deepStrictEqual(state.cursor, { offset: 42, seen: ["a", "b"] })
      yield* repo.setPaused("silver.gold", false)
      assert.deepStrictEqual(
        (yield* repo.listStates).map((s) => s.sensor),
        ["bronze.hn", "silver.gold"]
      )
      assert.isTrue(Option.isNone(yield* repo.getCursor("silver.gold", Cursor)))
    })
  )

  it.effect("records ticks with their duration from the Clock, newest first, and prunes them", () =>
    Effect.gen(function* () {
      const repo = yield* SensorStateRepo
      for (let i = 0; i < 5; i++) {
        const id = yield* repo.startTick("ticker", { offset: i })
        yield* TestClock.adjust("1500 millis")
        yield* repo.finishTick(id, {
          status: i % 2 === 0 ? "success" : "skipped",
          reason: i % 2 === 0 ? null : "nothing new",
          cursorAfter: { offset: i + 1 },
          runKeys: i % 2 === 0 ? [`run-${i}`] : []
        })
        yield* TestClock.adjust("1 minute")
      }
      const ticks = yield* repo.recentTicks({ sensor: "ticker", limit: 10 })
      assert.strictEqual(ticks.length, 5)
      assert.deepStrictEqual(ticks[0]!.cursorBefore, { offset: 4 })
      assert.deepStrictEqual(ticks[0]!.cursorAfter, { offset: 5 })
      assert.deepStrictEqual(ticks[0]!.runKeys, ["run-4"])
      assert.strictEqual(ticks[0]!.durationMs, 1500)
      assert.strictEqual(ticks[1]!.reason, "nothing new")
      assert.strictEqual(yield* repo.pruneTicks({ keepPerSensor: 3 }), 2)
      // Ticks start 61.5 s apart and the last one 61.5 s ago: 3 minutes keeps the two newest.
      assert.strictEqual(yield* repo.pruneTicks({ maxAge: "3 minutes" }), 1)
      assert.strictEqual((yield* repo.recentTicks({ sensor: "ticker", limit: 10 })).length, 2)
    })
  )

  it.effect("deduplicates run keys in one query, tracks run status, retries failed runs, prunes finished runs", () =>
    Effect.gen(function* () {
      const repo = yield* SensorStateRepo
      const inserted = yield* repo.insertRuns("runs", [
        { runKey: "k1", itemKeys: [{ sourceType: "hn", externalId: "1" }] },
        { runKey: "k2", itemKeys: [] },
        { runKey: "k3", itemKeys: [] }
      ])
      assert.deepStrictEqual(inserted.toSorted(), ["k1", "k2", "k3"])
      const again = yield* repo.insertRuns("runs", [
        { runKey: "k1", itemKeys: [] },
        { runKey: "k4", itemKeys: [] }
      ])
      assert.deepStrictEqual(again, ["k4"])
      assert.deepStrictEqual([...(yield* repo.existingRunKeys("runs", ["k0", "k1", "k4", "k9"]))].toSorted(), [
        "k1",
        "k4"
      ])
      assert.deepStrictEqual([...(yield* repo.existingRunKeys("other", ["k1"]))], [])

      yield* repo.markRun("runs", "k1", "running")
      yield* repo.markRun("runs", "k1", "succeeded")
      yield* repo.markRun("runs", "k2", "running")
      yield* repo.markRun("runs", "k2", "failed", "transform crashed")
      const missing = yield* Effect.flip(repo.markRun("runs", "nope", "running"))
      assert.strictEqual(missing._tag, "RunNotFound")

      const failed = yield* repo.listRuns({ sensor: "runs", status: "failed", limit: 10 })
      assert.deepStrictEqual(
        failed.map((r) => [r.runKey, r.error, r.attempts]),
        [["k2", "transform crashed", 1]]
      )
      const k1 = (yield* repo.listRuns({ sensor: "runs", status: "succeeded", limit: 10 }))[0]!
      assert.deepStrictEqual(k1.itemKeys, [{ sourceType: "hn", externalId: "1" }])

      assert.deepStrictEqual(yield* repo.retryFailedRuns("runs"), ["k2"])
      assert.deepStrictEqual(yield* repo.retryFailedRuns("runs"), [])
      yield* repo.markRun("runs", "k2", "running")
      const retried = (yield* repo.listRuns({ sensor: "runs", status: "running", limit: 10 }))[0]!
      assert.strictEqual(retried.attempts, 2)
      yield* repo.markRun("runs", "k2", "failed", "again")
      yield* repo.markRun("runs", "k3", "running")
      yield* repo.markRun("runs", "k3", "succeeded")

      yield* TestClock.adjust("2 hours")
      assert.strictEqual(yield* repo.pruneRuns({ succeededMaxAge: "1 hour" }), 2)
      assert.deepStrictEqual(
        (yield* repo.listRuns({ sensor: "runs", limit: 10 })).map((r) => r.runKey),
        ["k2", "k4"]
      )
      assert.strictEqual(yield* repo.pruneRuns({ succeededMaxAge: "1 hour", failedMaxAge: "1 hour" }), 1)
    })
  )

  it.effect("commits the cursor and the runs of a tick together, or neither", () =>
    Effect.gen(function* () {
      const repo = yield* SensorStateRepo
      const failing = repo.withSensorLock(
        "atomic",
        Effect.gen(function* () {
          yield* repo.insertRuns("atomic", [{ runKey: "r1", itemKeys: [] }])
          yield* repo.putCursor("atomic", Cursor, { offset: 10, seen: [] })
          return yield* Effect.fail("tick failed")
        })
      )
      assert.strictEqual(yield* Effect.flip(failing), "tick failed")
      assert.isTrue(Option.isNone(yield* repo.getCursor("atomic", Cursor)))
      assert.strictEqual((yield* repo.existingRunKeys("atomic", ["r1"])).size, 0)
      const ok = yield* repo.withSensorLock(
        "atomic",
        Effect.gen(function* () {
          yield* repo.insertRuns("atomic", [{ runKey: "r1", itemKeys: [] }])
          yield* repo.putCursor("atomic", Cursor, { offset: 10, seen: [] })
          return "done"
        })
      )
      assert.deepStrictEqual(ok, Option.some("done"))
      assert.strictEqual((yield* repo.existingRunKeys("atomic", ["r1"])).size, 1)
    })
  )
})

baseIt.live(
  "one tick per sensor at a time across processes: a second holder of the lock is told none",
  () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.makeDatabase()
      const open = Effect.map(
        Layer.build(
          Layer.provideMerge(SensorStateRepo.layer, SilverDatabase.layerWith({ url: database.url, poolSize: 2 }))
        ),
        (context) => Context.get(context, SensorStateRepo)
      )
      const first = yield* open
      const second = yield* open
      const holding = yield* Queue.unbounded<void>()
      const release = yield* Queue.unbounded<void>()
      const fiber = yield* first
        .withSensorLock("locked", Effect.andThen(Queue.offer(holding, undefined), Queue.take(release)))
        .pipe(Effect.forkChild)
      yield* Queue.take(holding)
      assert.deepStrictEqual(yield* second.withSensorLock("locked", Effect.succeed(1)), Option.none())
      assert.deepStrictEqual(yield* second.withSensorLock("another", Effect.succeed(2)), Option.some(2))
      yield* Queue.offer(release, undefined)
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* second.withSensorLock("locked", Effect.succeed(3)), Option.some(3))
    }).pipe(Effect.scoped),
  60_000
)
