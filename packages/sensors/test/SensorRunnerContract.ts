/**
 * The behaviour every `SensorRunner` must have, run on the real runner (`SensorRunner.layer` on
 * `SqlSensorStore.layer` with `InProcessLauncher.layer`, in `SensorRunnerContract.db.test.ts`) and on its
 * double `SensorRunner.layerTest` (in `SensorRunnerContract.test.ts`): what a user's test learns on the
 * double about ticks, runs, cursors and retries holds in production.
 *
 * Each case watches only what a user can see: the runner's answers (`tick`, `status`, `retryFailed`), the
 * store's records (cursor, ticks, runs) and what the sensor's job did. Its sensor ticks only when a case
 * asks (a `minInterval` of an hour), apart from the real runner's own first tick when it takes the
 * sensor: every case begins with a `tick`, which returns only once that one is done too (triggers are
 * served in order, and one waiting when the sensor is taken joins the first tick), while the sensor still
 * has nothing to do, so whether that tick happened changes nothing a case asserts.
 */
import { assert } from "@effect/vitest"
import { Context, Deferred, Effect, Layer, Option, Schema } from "effect"
import * as Job from "../src/Job.ts"
import * as Sensor from "../src/Sensor.ts"
import { SensorRunner } from "../src/SensorRunner.ts"
import { QUARANTINE_PREFIX, SensorStore } from "../src/SensorStore.ts"

const Cursor = Schema.Struct({ next: Schema.Int })
type Cursor = typeof Cursor.Type

/** Most runs a contract sensor may request per tick (a full page makes the runner tick again at once). */
const MAX_RUNS = 5

/** What the contract's sensor and job do, set by each case. */
export interface World {
  /** The sensor's answer to a tick: until a case sets it, nothing new (a skip keeping the cursor). */
  answer: (cursor: Cursor) => Effect.Effect<Sensor.Evaluation<Cursor, string>, string>
  /** How many times the sensor evaluated. */
  evaluations: number
  /** Every batch of letters the job was given, in order, attempts that failed included. */
  readonly executions: Array<ReadonlyArray<string>>
  /** Letters the job reports as failed items. */
  readonly bad: Set<string>
  /** Attempts that fail before one succeeds, per letter (`Infinity`: every attempt fails). */
  readonly flaky: Map<string, number>
  /** Letters whose job signals `entered`, then waits until `open` is done. */
  readonly gates: Map<string, { readonly entered: Deferred.Deferred<void>; readonly open: Deferred.Deferred<void> }>
}

const newWorld = (): World => ({
  answer: (cursor) => Effect.succeed(Sensor.skip("nothing new", cursor)),
  evaluations: 0,
  executions: [],
  bad: new Set(),
  flaky: new Map(),
  gates: new Map()
})

export const makeSensor = (name: string, world: World) =>
  Sensor.make({
    name,
    cursor: Cursor,
    initial: { next: 0 },
    minInterval: "1 hour",
    maxRunsPerTick: MAX_RUNS,
    evaluate: (cursor) => Effect.suspend(() => (world.evaluations++, world.answer(cursor))),
    job: Job.make({
      name: "letters",
      item: Schema.String,
      run: (items: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          world.executions.push(items)
          for (const letter of items) {
            const gate = world.gates.get(letter)
            if (gate) {
              yield* Deferred.succeed(gate.entered, undefined)
              yield* Deferred.await(gate.open)
            }
            const left = world.flaky.get(letter) ?? 0
            if (left > 0) {
              world.flaky.set(letter, left - 1)
              return yield* Effect.fail(`${letter} is not ready`)
            }
          }
          return {
            failures: items.filter((letter) => world.bad.has(letter)).map((item) => ({ item, reason: "bad letter" }))
          }
        })
    })
  })

export type ContractSensor = ReturnType<typeof makeSensor>

/** One run per argument: a letter or a batch of letters, keyed by them all. */
const letters = (...batches: ReadonlyArray<string | ReadonlyArray<string>>) =>
  batches.map((batch) => {
    const items = typeof batch === "string" ? [batch] : [...batch]
    return { runKey: `letter-${items.join("")}`, items }
  })

/** The runner under test for `sensor`, with the store it records in. */
export type Implementation<R> = (sensor: ContractSensor) => Layer.Layer<SensorRunner | SensorStore, unknown, R>

export type ContractTest<R> = (name: string, body: () => Effect.Effect<void, unknown, R>) => void

export const contract = <R>(test: ContractTest<R>, implementation: Implementation<R>) => {
  /** Runs `body` with a runner of its own over a sensor named `name`, after its first tick (see above). */
  const withRunner = <A, E>(
    name: string,
    world: World,
    body: (tools: {
      readonly runner: SensorRunner["Service"]
      readonly store: SensorStore["Service"]
      readonly cursor: Effect.Effect<unknown, unknown>
      readonly run: (runKey: string) => Effect.Effect<readonly [string, number, string | null, unknown], unknown>
      readonly latestTick: Effect.Effect<readonly [string, string | null, unknown, unknown, unknown, number], unknown>
      readonly gate: (letter: string) => Effect.Effect<{
        readonly entered: Effect.Effect<void>
        readonly open: Effect.Effect<void>
      }>
    }) => Effect.Effect<A, E>
  ) =>
    Effect.gen(function* () {
      const context = yield* Layer.build(implementation(makeSensor(name, world)))
      const runner = Context.get(context, SensorRunner)
      const store = Context.get(context, SensorStore)
      const first = yield* runner.tick(name)
      assert.deepStrictEqual([first.status, first.reason, first.cursorAfter], ["skipped", "nothing new", { next: 0 }])
      const cursor = Effect.map(store.getCursor(name), Option.getOrUndefined)
      const run = (runKey: string) =>
        Effect.map(store.getRun(name, runKey), (stored) => {
          const found = Option.getOrThrow(stored)
          return [found.status, found.attempts, found.error, found.failures] as const
        })
      const latestTick = Effect.map(store.recentTicks(name, 1), ([tick]) => {
        assert.isDefined(tick)
        return [tick.status, tick.reason, tick.cursorBefore, tick.cursorAfter, tick.runKeys, tick.runCount] as const
      })
      const gate = (letter: string) =>
        Effect.gen(function* () {
          const entered = yield* Deferred.make<void>()
          const open = yield* Deferred.make<void>()
          world.gates.set(letter, { entered, open })
          return { entered: Deferred.await(entered), open: Effect.asVoid(Deferred.succeed(open, undefined)) }
        })
      return yield* body({ runner, store, cursor, run, latestTick, gate })
    }).pipe(Effect.scoped)

  test("a tick's runs are recorded and executed with their items; the cursor is committed once all finished", () => {
    const world = newWorld()
    const name = "contract.runs"
    return withRunner(name, world, ({ runner, cursor, run, latestTick, gate }) =>
      Effect.gen(function* () {
        const a = yield* gate("a")
        world.answer = (at) =>
          Effect.succeed(
            at.next >= 2 ? Sensor.skip("nothing new", at) : Sensor.runs(letters("a", ["b", "c"]), { next: 2 })
          )
        const report = yield* runner.tick(name)
        assert.deepStrictEqual(
          [report.status, report.reason, report.runKeys, report.requested, report.cursorBefore, report.cursorAfter],
          ["success", null, ["letter-a", "letter-bc"], ["letter-a", "letter-bc"], { next: 0 }, { next: 2 }]
        )
        assert.deepStrictEqual(yield* latestTick, [
          "success",
          null,
          { next: 0 },
          { next: 2 },
          ["letter-a", "letter-bc"],
          2
        ])

        // While a run of the tick is executing, the next tick would evaluate from the tick's cursor, but the
        // persisted one (where a restart resumes) has not moved.
        yield* a.entered
        assert.deepStrictEqual((yield* run("letter-a")).slice(0, 2), ["running", 1])
        assert.deepStrictEqual(yield* cursor, { next: 0 })
        const busy = yield* runner.status(name)
        assert.deepStrictEqual([busy.owned, busy.frontier], [true, { next: 2 }])
        assert.include(busy.inFlight, "letter-a")

        yield* a.open
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* cursor, { next: 2 })
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(yield* run("letter-bc"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["a", "bc"])
        const idle = yield* runner.status(name)
        assert.deepStrictEqual([idle.inFlight, idle.pendingTicks], [[], 0])

        // The next tick evaluates from where the last one got to.
        const next = yield* runner.tick(name)
        assert.deepStrictEqual([next.status, next.cursorBefore, next.requested], ["skipped", { next: 2 }, []])
      })
    )
  })

  test("a skip moves the cursor and requests nothing", () => {
    const world = newWorld()
    const name = "contract.skip"
    return withRunner(name, world, ({ runner, store, cursor, latestTick }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(at.next < 5 ? Sensor.skip("caught up to 5", { next: 5 }) : Sensor.skip("nothing new", at))
        const report = yield* runner.tick(name)
        assert.deepStrictEqual(
          [report.status, report.reason, report.runKeys, report.requested, report.cursorAfter],
          ["skipped", "caught up to 5", [], [], { next: 5 }]
        )
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* cursor, { next: 5 })
        assert.deepStrictEqual(yield* latestTick, ["skipped", "caught up to 5", { next: 0 }, { next: 5 }, [], 0])
        assert.deepStrictEqual(yield* store.unfinishedRuns(name), [])
        assert.deepStrictEqual(world.executions, [])
        assert.deepStrictEqual((yield* runner.tick(name)).cursorBefore, { next: 5 })
      })
    )
  })

  test("failed items are recorded with the run; retryFailed re-executes only them, all runs or one", () => {
    const world = newWorld()
    world.bad.add("b").add("d")
    const name = "contract.items"
    return withRunner(name, world, ({ runner, cursor, run }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(
            at.next >= 3
              ? Sensor.skip("nothing new", at)
              : Sensor.runs(letters(["a", "b", "c"], ["d", "e"], "f"), { next: 3 })
          )
        yield* runner.tick(name)
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* run("letter-abc"), [
          "failed",
          1,
          "1 of 3 items failed; first: bad letter",
          [{ item: "b", reason: "bad letter" }]
        ])
        assert.deepStrictEqual(yield* run("letter-de"), [
          "failed",
          1,
          "1 of 2 items failed; first: bad letter",
          [{ item: "d", reason: "bad letter" }]
        ])
        assert.deepStrictEqual(yield* run("letter-f"), ["succeeded", 1, null, []])
        // A failed run is finished: the cursor passes it.
        assert.deepStrictEqual(yield* cursor, { next: 3 })

        world.bad.clear()
        assert.deepStrictEqual(yield* runner.retryFailed(name, "letter-de"), ["letter-de"])
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(world.executions.at(-1), ["d"])
        assert.deepStrictEqual(yield* run("letter-de"), ["succeeded", 2, null, []])
        assert.strictEqual((yield* run("letter-abc"))[0], "failed")

        assert.deepStrictEqual(yield* runner.retryFailed(name), ["letter-abc"])
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(world.executions.at(-1), ["b"])
        assert.deepStrictEqual(yield* run("letter-abc"), ["succeeded", 2, null, []])
        assert.deepStrictEqual(yield* runner.retryFailed(name), [])
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["abc", "b", "d", "de", "f"])
        assert.deepStrictEqual(yield* cursor, { next: 3 })
      })
    )
  })

  test("a failing attempt is retried; a run failing every attempt is recorded failed and retryFailed relaunches it", () => {
    const world = newWorld()
    world.flaky.set("a", 1).set("d", Infinity)
    const name = "contract.attempts"
    return withRunner(name, world, ({ runner, cursor, run }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(at.next >= 2 ? Sensor.skip("nothing new", at) : Sensor.runs(letters("a", "d"), { next: 2 }))
        yield* runner.tick(name)
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 2, null, []])
        // The in-process launcher's three attempts, the last error kept.
        assert.deepStrictEqual(yield* run("letter-d"), ["failed", 3, "d is not ready", []])
        assert.deepStrictEqual(yield* cursor, { next: 2 })
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["a", "a", "d", "d", "d"])

        world.flaky.delete("d")
        assert.deepStrictEqual(yield* runner.retryFailed(name), ["letter-d"])
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* run("letter-d"), ["succeeded", 4, null, []])
      })
    )
  })

  test("a run key requested twice, in one tick or in two, is recorded and executed once", () => {
    const world = newWorld()
    const name = "contract.dedup"
    return withRunner(name, world, ({ runner, cursor, run }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(
            at.next === 0
              ? Sensor.runs(letters("a", "a", "b"), { next: 1 })
              : at.next === 1
                ? Sensor.runs(letters("b", "c"), { next: 2 })
                : Sensor.skip("nothing new", at)
          )
        const first = yield* runner.tick(name)
        assert.deepStrictEqual(
          [first.runKeys, first.requested],
          [
            ["letter-a", "letter-b"],
            ["letter-a", "letter-b"]
          ]
        )
        yield* runner.awaitIdle(name)
        const second = yield* runner.tick(name)
        assert.deepStrictEqual(
          [second.status, second.runKeys, second.requested],
          ["success", ["letter-b", "letter-c"], ["letter-c"]]
        )
        assert.strictEqual(second.reason, "1 runs already known")
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["a", "b", "c"])
        assert.deepStrictEqual(yield* run("letter-b"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(yield* cursor, { next: 2 })
      })
    )
  })

  test("a paused sensor does not evaluate: its ticks are skipped until it is resumed", () => {
    const world = newWorld()
    const name = "contract.paused"
    return withRunner(name, world, ({ runner, store, cursor, latestTick }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(at.next >= 1 ? Sensor.skip("nothing new", at) : Sensor.runs(letters("a"), { next: 1 }))
        yield* store.setPaused(name, true)
        const evaluations = world.evaluations
        const paused = yield* runner.tick(name)
        assert.deepStrictEqual(
          [paused.status, paused.reason, paused.requested, paused.cursorAfter],
          ["skipped", "paused by an operator", [], { next: 0 }]
        )
        assert.strictEqual(world.evaluations, evaluations)
        assert.deepStrictEqual(yield* latestTick, ["skipped", "paused by an operator", { next: 0 }, { next: 0 }, [], 0])
        assert.isTrue(Option.isNone(yield* store.getRun(name, "letter-a")))
        assert.deepStrictEqual(yield* cursor, { next: 0 })

        yield* store.setPaused(name, false)
        const resumed = yield* runner.tick(name)
        assert.deepStrictEqual([resumed.status, resumed.requested], ["success", ["letter-a"]])
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(world.executions, [["a"]])
        assert.deepStrictEqual(yield* cursor, { next: 1 })
      })
    )
  })

  test("an evaluation that fails, or asks for too many runs, records the tick failed and leaves the cursor", () => {
    const world = newWorld()
    const name = "contract.failed"
    return withRunner(name, world, ({ runner, store, cursor, latestTick }) =>
      Effect.gen(function* () {
        world.answer = () => Effect.succeed(Sensor.runs(letters("a"), { next: 1 }))
        yield* runner.tick(name)
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* cursor, { next: 1 })

        const failures: ReadonlyArray<readonly [World["answer"], string]> = [
          [() => Effect.fail("the catalog is unreadable"), "the catalog is unreadable"],
          [() => Effect.die(new Error("the index is corrupt")), "Error: the index is corrupt"],
          [
            () => Effect.succeed(Sensor.runs(letters("b", "c", "d", "e", "f", "g"), { next: 7 })),
            `6 run requests exceed the cap of ${MAX_RUNS} per tick: the sensor must page with its cursor`
          ]
        ]
        for (const [answer, reason] of failures) {
          world.answer = answer
          const report = yield* runner.tick(name)
          assert.deepStrictEqual(
            [report.status, report.reason, report.runKeys, report.requested, report.cursorBefore, report.cursorAfter],
            ["failed", reason, [], [], { next: 1 }, { next: 1 }]
          )
          assert.deepStrictEqual(yield* latestTick, ["failed", reason, { next: 1 }, { next: 1 }, [], 0])
          yield* runner.awaitIdle(name)
          assert.deepStrictEqual(yield* cursor, { next: 1 })
          assert.deepStrictEqual((yield* runner.status(name)).frontier, { next: 1 })
        }
        assert.isTrue(Option.isNone(yield* store.getRun(name, "letter-b")))
        assert.deepStrictEqual(world.executions, [["a"]])

        // Once the sensor answers again, it goes on from the cursor it had.
        world.answer = (at) => Effect.succeed(Sensor.runs(letters("b"), { next: at.next + 1 }))
        const recovered = yield* runner.tick(name)
        assert.deepStrictEqual(
          [recovered.status, recovered.cursorBefore, recovered.requested],
          ["success", { next: 1 }, ["letter-b"]]
        )
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* cursor, { next: 2 })
      })
    )
  })

  test("what a tick cannot hand to a run is recorded as a failed quarantine run, never executed nor retried", () => {
    const world = newWorld()
    const name = "contract.quarantine"
    return withRunner(name, world, ({ runner, store, cursor, run }) =>
      Effect.gen(function* () {
        world.answer = (at) =>
          Effect.succeed(
            at.next >= 1
              ? Sensor.skip("nothing new", at)
              : Sensor.runs([{ runKey: "letter-ax", items: ["a", "x\u0000"] }], { next: 1 }, undefined, [
                  { item: "bronze/hn/17.json", reason: "its id cannot be resolved" }
                ])
          )
        const report = yield* runner.tick(name)
        assert.strictEqual(report.status, "success")
        assert.deepStrictEqual(report.requested, ["letter-ax"])
        const quarantine = report.runKeys.find((key) => key.startsWith(QUARANTINE_PREFIX))
        assert.isDefined(quarantine)
        assert.deepStrictEqual(report.runKeys, ["letter-ax", quarantine])
        assert.strictEqual(report.reason, `2 item(s) quarantined in run ${quarantine}`)
        yield* runner.awaitIdle(name)

        // The storable item ran; the other one, and what the sensor could not describe, are on record.
        assert.deepStrictEqual(world.executions, [["a"]])
        const [status, attempts, error, failures] = yield* run(quarantine)
        assert.deepStrictEqual(
          [status, attempts, error],
          ["failed", 0, "2 item(s) quarantined, not run; first: its id cannot be resolved"]
        )
        const recorded = failures as ReadonlyArray<{ readonly item: unknown; readonly reason: string }>
        assert.deepStrictEqual(
          recorded.map((failure) => failure.item),
          ["bronze/hn/17.json", JSON.stringify("x\u0000")]
        )
        assert.include(recorded[1]!.reason, "its run record cannot store it")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.getRun(name, "letter-ax")).items, ["a"])
        assert.deepStrictEqual(yield* cursor, { next: 1 })

        assert.deepStrictEqual(yield* runner.retryFailed(name), [])
        assert.deepStrictEqual(yield* runner.retryFailed(name, quarantine), [])
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(world.executions, [["a"]])
      })
    )
  })

  test("wake starts a tick without waiting for it", () => {
    const world = newWorld()
    const name = "contract.wake"
    return withRunner(name, world, ({ runner, cursor, run, gate }) =>
      Effect.gen(function* () {
        const a = yield* gate("a")
        const evaluating = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        // The evaluation itself waits until `wake` has returned: a `wake` that waited for its tick would hang.
        world.answer = (at) =>
          at.next >= 1
            ? Effect.succeed(Sensor.skip("nothing new", at))
            : Deferred.succeed(evaluating, undefined).pipe(
                Effect.andThen(Deferred.await(release)),
                Effect.as(Sensor.runs(letters("a"), { next: 1 }))
              )
        yield* runner.wake(name)
        yield* Deferred.await(evaluating)
        yield* Deferred.succeed(release, undefined)
        // The run it requests cannot finish before the gate opens.
        yield* a.entered
        assert.strictEqual((yield* run("letter-a"))[0], "running")
        yield* a.open
        yield* runner.awaitIdle(name)
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(yield* cursor, { next: 1 })
      })
    )
  })

  test("a sensor the runner does not know is reported as not found", () => {
    const world = newWorld()
    return withRunner("contract.known", world, ({ runner }) =>
      Effect.gen(function* () {
        const errors = [
          yield* Effect.flip(runner.tick("contract.unknown")),
          yield* Effect.flip(runner.wake("contract.unknown")),
          yield* Effect.flip(runner.awaitIdle("contract.unknown")),
          yield* Effect.flip(runner.status("contract.unknown")),
          yield* Effect.flip(runner.retryFailed("contract.unknown"))
        ]
        assert.deepStrictEqual(
          errors.map((error) => [error._tag, "sensor" in error ? error.sensor : undefined]),
          Array.from({ length: 5 }, () => ["SensorNotFound", "contract.unknown"])
        )
      })
    )
  })
}
