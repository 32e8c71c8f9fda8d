import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as Job from "../src/Job.ts"
import * as Sensor from "../src/Sensor.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import { SensorStore } from "../src/SensorStore.ts"

/**
 * A sensor over a growing list of numbers: the cursor is how many were handed out; each run is one
 * number. `behaviour` lets a test make the tick or the job misbehave.
 */
const Cursor = Schema.Struct({ position: Schema.Int })

interface World {
  available: number
  readonly processed: Array<number>
  evaluate: "normal" | "fail" | "hang" | "too-many" | "duplicates" | "skip"
  jobFailuresLeft: number
  /** Attempts of the job that never finish. */
  hangsLeft: number
  readonly itemFailures: Set<number>
  readonly blocked: Map<number, Deferred.Deferred<void>>
}

const makeWorld = (): World => ({
  available: 0,
  processed: [],
  evaluate: "normal",
  jobFailuresLeft: 0,
  hangsLeft: 0,
  itemFailures: new Set(),
  blocked: new Map()
})

const numbersSensor = (world: World, options: { maxRunsPerTick?: number } = {}) =>
  Sensor.make({
    name: "numbers",
    cursor: Cursor,
    initial: { position: 0 },
    maxRunsPerTick: options.maxRunsPerTick ?? 10,
    evaluate: (cursor, { maxRuns }) =>
      Effect.gen(function* () {
        switch (world.evaluate) {
          case "fail":
            return yield* Effect.fail("the catalog is unreadable")
          case "hang":
            return yield* Effect.never
          case "skip":
            return Sensor.skip("nothing to do", { position: cursor.position + 1 })
          case "too-many": {
            const runs = Array.from({ length: maxRuns + 1 }, (_, i) => ({ runKey: `n-${i}`, items: [i] }))
            return Sensor.runs(runs, { position: cursor.position + runs.length })
          }
          case "duplicates":
            return Sensor.runs(
              [
                { runKey: "n-0", items: [0] },
                { runKey: "n-0", items: [0] }
              ],
              { position: Math.max(cursor.position, 1) }
            )
          case "normal": {
            const end = Math.min(world.available, cursor.position + maxRuns)
            if (end === cursor.position) return Sensor.skip("no new numbers", cursor)
            const runs = Array.from({ length: end - cursor.position }, (_, i) => {
              const n = cursor.position + i
              return { runKey: `n-${n}`, items: [n] }
            })
            return Sensor.runs(runs, { position: end })
          }
        }
      }),
    job: Job.make({
      name: "record",
      item: Schema.Int,
      run: (items) =>
        Effect.gen(function* () {
          for (const n of items) {
            const gate = world.blocked.get(n)
            if (gate) yield* Deferred.await(gate)
          }
          if (world.hangsLeft > 0) {
            world.hangsLeft--
            return yield* Effect.never
          }
          if (world.jobFailuresLeft > 0) {
            world.jobFailuresLeft--
            return yield* Effect.fail("transient failure")
          }
          world.processed.push(...items.filter((n) => !world.itemFailures.has(n)))
          return {
            failures: items.filter((n) => world.itemFailures.has(n)).map((item) => ({ item, reason: "bad number" }))
          }
        })
    })
  })

const harness = (world: World, options: { maxRunsPerTick?: number } = {}) => {
  const store = SensorStore.layerTest
  const launcher = InProcessLauncher.layer({
    concurrency: 2,
    maxAttempts: 3,
    retryBase: "10 millis",
    runTimeout: "1 minute"
  })
  const runner = SensorRunner.layer([numbersSensor(world, options)], { owner: "test-owner" })
  return runner.pipe(Layer.provideMerge(launcher), Layer.provideMerge(store))
}

/** Joins a fiber that should be done by now (the test clock moved past its work), or fails saying so. */
const joinSettled = <A, E>(fiber: Fiber.Fiber<A, E>, what: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1000 && fiber.pollUnsafe() === undefined; i++) yield* Effect.yieldNow
    if (fiber.pollUnsafe() === undefined) return yield* Effect.die(new Error(`not settled: ${what}`))
    return yield* Fiber.join(fiber)
  })

const storedCursor = SensorStore.use((store) => store.getCursor("numbers")).pipe(Effect.map(Option.getOrUndefined))

describe("SensorRunner (in-memory store)", () => {
  it.effect("ticks, runs the job per microbatch and commits the cursor once the runs finished", () => {
    const world = makeWorld()
    world.available = 3
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const first = yield* runner.tick("numbers")
      assert.strictEqual(first.status, "success")
      assert.deepStrictEqual(first.requested, ["n-0", "n-1", "n-2"])
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual([...world.processed].sort(), [0, 1, 2])
      assert.deepStrictEqual(yield* storedCursor, { position: 3 })

      // The interval triggers the next tick: new numbers are picked up without an explicit tick.
      world.available = 5
      yield* TestClock.adjust("40 seconds")
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual([...world.processed].sort(), [0, 1, 2, 3, 4])
      assert.deepStrictEqual(yield* storedCursor, { position: 5 })
      // The next tick evaluated from the previous tick's cursor, not from the start.
      const store = yield* SensorStore
      const [latest] = yield* store.recentTicks("numbers", 1)
      assert.deepStrictEqual(latest!.cursorBefore, { position: 3 })
      assert.deepStrictEqual(latest!.runKeys, ["n-3", "n-4"])
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("a paused sensor skips its ticks, evaluates nothing, and picks up again when resumed", () => {
    const world = makeWorld()
    world.available = 2
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* store.setPaused("numbers", true)
      const paused = yield* runner.tick("numbers")
      assert.strictEqual(paused.status, "skipped")
      assert.strictEqual(paused.reason, "paused by an operator")
      assert.deepStrictEqual(world.processed, [])
      yield* store.setPaused("numbers", false)
      // Two ticks never start closer than the wake floor (1 s): let the test clock pass it.
      const next = yield* Effect.forkChild(runner.tick("numbers"))
      yield* TestClock.adjust("2 seconds")
      const resumed = yield* Fiber.join(next)
      assert.strictEqual(resumed.status, "success")
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual([...world.processed].sort(), [0, 1])
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("a failed tick leaves the cursor where it was and records the reason", () => {
    const world = makeWorld()
    world.available = 2
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("numbers")
      yield* runner.awaitIdle("numbers")
      world.evaluate = "fail"
      world.available = 4
      yield* TestClock.adjust("2 seconds")
      const report = yield* runner.tick("numbers")
      assert.strictEqual(report.status, "failed")
      assert.include(report.reason, "the catalog is unreadable")
      assert.deepStrictEqual(yield* storedCursor, { position: 2 })
      assert.deepStrictEqual((yield* runner.status("numbers")).frontier, { position: 2 })
      const [latest] = yield* store.recentTicks("numbers", 1)
      assert.strictEqual(latest!.status, "failed")
      assert.deepStrictEqual(latest!.cursorBefore, { position: 2 })
      assert.deepStrictEqual(latest!.cursorAfter, { position: 2 })
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("a tick over its timeout is cut off: nothing submitted, cursor unchanged", () => {
    const world = makeWorld()
    world.available = 2
    world.evaluate = "hang"
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      const fiber = yield* Effect.forkChild(runner.tick("numbers"))
      yield* TestClock.adjust("6 seconds")
      // Without the timeout the tick would hang forever: say so instead of waiting for vitest's timeout.
      const report = yield* joinSettled(fiber, "the tick was not cut off by its timeout")
      assert.strictEqual(report.status, "failed")
      assert.strictEqual(report.reason, "tick timed out after 5s")
      assert.deepStrictEqual(yield* storedCursor, { position: 0 })
      assert.isTrue(Option.isNone(yield* store.getRun("numbers", "n-0")))
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("more run requests than the cap fail the tick: the sensor must page", () => {
    const world = makeWorld()
    world.evaluate = "too-many"
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      const report = yield* runner.tick("numbers")
      assert.strictEqual(report.status, "failed")
      assert.include(report.reason, "exceed the cap of 10")
      assert.isTrue(Option.isNone(yield* store.getRun("numbers", "n-0")))
      assert.deepStrictEqual(yield* storedCursor, { position: 0 })
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("duplicate run keys collapse within a tick and dedup across ticks", () => {
    const world = makeWorld()
    world.evaluate = "duplicates"
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const first = yield* runner.tick("numbers")
      assert.deepStrictEqual(first.runKeys, ["n-0"])
      assert.deepStrictEqual(first.requested, ["n-0"])
      yield* runner.awaitIdle("numbers")
      yield* TestClock.adjust("2 seconds")
      const second = yield* runner.tick("numbers")
      assert.strictEqual(second.status, "success")
      assert.deepStrictEqual(second.requested, [])
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual(world.processed, [0])
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("a skip advances the cursor", () => {
    const world = makeWorld()
    world.evaluate = "skip"
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const report = yield* runner.tick("numbers")
      assert.strictEqual(report.status, "skipped")
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual(yield* storedCursor, { position: 1 })
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("the cursor is a low watermark: it waits for the slowest earlier run", () => {
    const world = makeWorld()
    world.available = 2
    return Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      world.blocked.set(0, gate)
      const runner = yield* SensorRunner.SensorRunner
      yield* runner.tick("numbers")
      world.available = 3
      yield* TestClock.adjust("2 seconds")
      yield* runner.tick("numbers")
      // Runs 1 and 2 finish; run 0 (first tick) is still running.
      yield* Effect.repeat(
        Effect.sync(() => world.processed.length),
        { until: (n) => n === 2 }
      )
      assert.deepStrictEqual(yield* storedCursor, { position: 0 })
      assert.deepStrictEqual((yield* runner.status("numbers")).frontier, { position: 3 })
      yield* Deferred.succeed(gate, undefined)
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual(yield* storedCursor, { position: 3 })
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("retries a failing run with backoff, then records it as succeeded", () => {
    const world = makeWorld()
    world.available = 1
    world.jobFailuresLeft = 2
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("numbers")
      const idle = yield* Effect.forkChild(runner.awaitIdle("numbers"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(idle)
      const run = yield* store.getRun("numbers", "n-0")
      assert.strictEqual(Option.getOrThrow(run).status, "succeeded")
      assert.strictEqual(Option.getOrThrow(run).attempts, 3)
      assert.deepStrictEqual(world.processed, [0])
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("a run failing every attempt is recorded failed, the cursor passes it, retryFailed relaunches it", () => {
    const world = makeWorld()
    world.available = 1
    world.jobFailuresLeft = 3
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("numbers")
      const idle = yield* Effect.forkChild(runner.awaitIdle("numbers"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(idle)
      const failed = Option.getOrThrow(yield* store.getRun("numbers", "n-0"))
      assert.strictEqual(failed.status, "failed")
      assert.include(failed.error, "transient failure")
      assert.deepStrictEqual(yield* storedCursor, { position: 1 })
      assert.deepStrictEqual(world.processed, [])

      assert.deepStrictEqual(yield* runner.retryFailed("numbers"), ["n-0"])
      yield* runner.awaitIdle("numbers")
      assert.strictEqual(Option.getOrThrow(yield* store.getRun("numbers", "n-0")).status, "succeeded")
      assert.deepStrictEqual(world.processed, [0])
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("an attempt past the run timeout is interrupted and retried; a run that always hangs ends failed", () => {
    const world = makeWorld()
    world.available = 2
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      world.hangsLeft = 1
      yield* runner.tick("numbers")
      const first = yield* Effect.forkChild(runner.awaitIdle("numbers"))
      yield* TestClock.adjust("61 seconds")
      yield* joinSettled(first, "the hanging attempt was not cut off by the run timeout")
      const retried = Option.getOrThrow(yield* store.getRun("numbers", "n-0"))
      assert.strictEqual(retried.status, "succeeded")
      assert.strictEqual(retried.attempts, 2)
      assert.deepStrictEqual([...world.processed].sort(), [0, 1])

      world.available = 3
      world.hangsLeft = 3
      yield* TestClock.adjust("2 seconds")
      yield* runner.tick("numbers")
      const second = yield* Effect.forkChild(runner.awaitIdle("numbers"))
      for (let i = 0; i < 3; i++) yield* TestClock.adjust("61 seconds")
      yield* joinSettled(second, "the hanging attempts were not cut off by the run timeout")
      const failed = Option.getOrThrow(yield* store.getRun("numbers", "n-2"))
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(failed.attempts, 3)
      assert.include(failed.error, "RunTimedOut: the run did not finish within 1m; it is given up and retried")
      // Recorded failed, the run no longer holds the cursor back (retry relaunches it).
      assert.deepStrictEqual(yield* storedCursor, { position: 3 })
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("per-item failures are recorded with the run, and a retry reprocesses only those items", () => {
    const world = makeWorld()
    world.available = 1
    world.itemFailures.add(0)
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("numbers")
      yield* runner.awaitIdle("numbers")
      const run = Option.getOrThrow(yield* store.getRun("numbers", "n-0"))
      assert.strictEqual(run.status, "failed")
      assert.deepStrictEqual(run.failures, [{ item: 0, reason: "bad number" }])
      world.itemFailures.clear()
      yield* runner.retryFailed("numbers", "n-0")
      yield* runner.awaitIdle("numbers")
      assert.deepStrictEqual(world.processed, [0])
      assert.strictEqual(Option.getOrThrow(yield* store.getRun("numbers", "n-0")).status, "succeeded")
    }).pipe(Effect.provide(harness(world)))
  })

  it.effect("records the tick history with cursors before and after and the run keys", () => {
    const world = makeWorld()
    world.available = 2
    return Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      yield* runner.tick("numbers")
      const [tick] = yield* store.recentTicks("numbers", 1)
      assert.strictEqual(tick!.status, "success")
      assert.deepStrictEqual(tick!.cursorBefore, { position: 0 })
      assert.deepStrictEqual(tick!.cursorAfter, { position: 2 })
      assert.deepStrictEqual(tick!.runKeys, ["n-0", "n-1"])
      assert.strictEqual(tick!.runCount, 2)
    }).pipe(Effect.provide(harness(world)))
  })
})
