/**
 * The behaviour every queue `RunLauncher` must have, run against `QueueLauncher.layer` with a `QueueWorker`
 * on PostgreSQL and against its double `QueueLauncher.layerTest`: what a user's test learns on the double
 * about the hand-off, execution, per-item failures, retries and finished runs holds in production.
 *
 * Each case drives the launcher the way the runner does (`accept` in the tick's transaction with the cursor,
 * `start` after the commit) and watches only what a user can see: the run records, the cursor, and what the
 * sensor's job did. Its job records every execution in memory, and each attempt a receipt through the store
 * (a run record of `RECEIPTS`), so an attempt that failed must leave no receipt behind.
 */
import { assert } from "@effect/vitest"
import { Job, type LaunchRun, RunExecutor, RunLauncher, Sensor, SensorRunner, SensorStore } from "@medallion/sensors"
import { Context, Effect, Layer, Option, Schema, type Scope } from "effect"

export const SENSOR = "contract.letters"

/** Where the job's receipts go: one run record per attempt, written in the attempt's transaction. */
export const RECEIPTS = "contract.receipts"

/** Attempts of a run's job in every case (graphile-worker backs off exp(attempt) seconds between them). */
export const MAX_ATTEMPTS = 2

/** What the contract's job does, set per case before anything runs. */
export interface World {
  /** What the sensor requests when the runner ticks (one run per letter). */
  readonly letters: Array<string>
  /** Every batch the job executed, in order, attempts that failed included. */
  readonly executions: Array<ReadonlyArray<string>>
  /** Attempts that fail with an error before one succeeds, per letter. */
  readonly flaky: Map<string, number>
  /** Letters whose attempts die with a defect. */
  readonly broken: Set<string>
  /** Letters the job reports as failed items. */
  readonly bad: Set<string>
}

export const makeSensor = (world: World) =>
  Sensor.make({
    name: SENSOR,
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
      run: (items: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          const store = yield* SensorStore
          world.executions.push(items)
          yield* store.insertRuns(RECEIPTS, [{ runKey: `${items.join("")}-${world.executions.length}`, items }])
          for (const letter of items) {
            if (world.broken.has(letter)) return yield* Effect.die(new Error(`${letter} is broken`))
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
    }),
    minInterval: "1 hour"
  })

export type ContractSensor = ReturnType<typeof makeSensor>

export interface Implementation<R> {
  /**
   * The launcher under test on a store of its own, the runs it queues executed with `sensor`'s job and
   * `MAX_ATTEMPTS` attempts each (a worker for the real queue; the double executes them itself).
   */
  readonly layer: (sensor: ContractSensor) => Layer.Layer<RunLauncher | SensorStore | R, unknown>
  /** Waits (bounded) until every run of `sensor` launched so far is finished and no job of it is in progress. */
  readonly settled: (sensor: string) => Effect.Effect<void, unknown, SensorStore | R>
}

export type ContractTest = (name: string, body: () => Effect.Effect<void, unknown>) => void

const newWorld = (world: Partial<World> = {}): World => ({
  letters: [],
  executions: [],
  flaky: new Map(),
  broken: new Set(),
  bad: new Set(),
  ...world
})

export const contract = <R>(test: ContractTest, implementation: Implementation<R>) => {
  /** Runs `body` with the launcher, its store and the sensor's runs as the runner would build them. */
  const withLauncher = <A, E>(
    world: World,
    body: (tools: {
      readonly launcher: RunLauncher["Service"]
      readonly store: SensorStore["Service"]
      readonly sensor: ContractSensor
      readonly runs: (...batches: ReadonlyArray<string | ReadonlyArray<string>>) => Array<LaunchRun>
      readonly handOff: (runs: ReadonlyArray<LaunchRun>, cursor: number) => Effect.Effect<void, unknown>
      readonly start: (runs: ReadonlyArray<LaunchRun>) => Effect.Effect<ReadonlyArray<string>>
      readonly settled: Effect.Effect<void, unknown, SensorStore | R>
      readonly run: (runKey: string) => Effect.Effect<readonly [string, number, string | null, unknown], unknown>
      readonly receipts: Effect.Effect<ReadonlyArray<string>, unknown>
    }) => Effect.Effect<A, E, SensorStore | RunLauncher | R | Scope.Scope>
  ) =>
    Effect.gen(function* () {
      const sensor = makeSensor(world)
      const context = yield* Layer.build(implementation.layer(sensor))
      return yield* Effect.gen(function* () {
        const launcher = yield* RunLauncher
        const store = yield* SensorStore
        const execute = yield* RunExecutor.make([sensor])
        // One run per argument: a letter, or a batch of letters (the run's key names them all).
        const runs = (...batches: ReadonlyArray<string | ReadonlyArray<string>>) =>
          batches.map((batch): LaunchRun => {
            const items = typeof batch === "string" ? [batch] : [...batch]
            return {
              sensor: SENSOR,
              runKey: `letter-${items.join("")}`,
              items,
              execute: (encoded) => execute(SENSOR, encoded)
            }
          })
        assert.isTrue(yield* store.acquireLease(SENSOR, "contract", 60_000, { next: 0 }))
        const handOff = (launched: ReadonlyArray<LaunchRun>, cursor: number) =>
          store.withTransaction(
            Effect.andThen(launcher.accept(launched), store.putCursor(SENSOR, "contract", { next: cursor }))
          )
        const start = (launched: ReadonlyArray<LaunchRun>) =>
          Effect.gen(function* () {
            const finished: Array<string> = []
            yield* Effect.scoped(launcher.start(launched, (runKey) => Effect.sync(() => void finished.push(runKey))))
            return finished
          })
        const run = (runKey: string) =>
          Effect.map(store.getRun(SENSOR, runKey), (stored) => {
            const found = Option.getOrThrow(stored)
            return [found.status, found.attempts, found.error, found.failures] as const
          })
        const receipts = Effect.map(store.unfinishedRuns(RECEIPTS), (all) => all.map((r) => r.runKey).sort())
        return yield* body({
          launcher,
          store,
          sensor,
          runs,
          handOff,
          start,
          settled: implementation.settled(SENSOR),
          run,
          receipts
        })
      }).pipe(Effect.provideContext(context))
    }).pipe(Effect.scoped)

  test("the hand-off records the runs requested with the cursor; a rolled-back one leaves neither, nor a job", () => {
    const world = newWorld()
    return withLauncher(world, ({ launcher, store, runs, handOff, start, settled, run }) =>
      Effect.gen(function* () {
        assert.strictEqual(launcher.cursorCommit, "accept")
        const rolledBack = yield* Effect.flip(
          store.withTransaction(
            Effect.gen(function* () {
              yield* handOff(runs("a", "b"), 2)
              // Inside the tick's transaction the runs are there, not yet executed.
              assert.strictEqual((yield* run("letter-a"))[0], "requested")
              assert.deepStrictEqual(yield* store.getCursor(SENSOR), Option.some({ next: 2 }))
              return yield* Effect.fail("the tick failed after the hand-off")
            })
          )
        )
        assert.strictEqual(rolledBack, "the tick failed after the hand-off")
        assert.isTrue(Option.isNone(yield* store.getRun(SENSOR, "letter-a")))
        assert.deepStrictEqual(yield* store.getCursor(SENSOR), Option.some({ next: 0 }))
        yield* settled
        assert.deepStrictEqual(world.executions, [])

        yield* store.withTransaction(
          Effect.gen(function* () {
            yield* handOff(runs("c"), 3)
            const stored = Option.getOrThrow(yield* store.getRun(SENSOR, "letter-c"))
            assert.deepStrictEqual([stored.status, stored.attempts, stored.items], ["requested", 0, ["c"]])
          })
        )
        assert.deepStrictEqual(yield* store.getCursor(SENSOR), Option.some({ next: 3 }))
        yield* start(runs("c"))
        yield* settled
        // Only the committed hand-off was ever executed.
        assert.deepStrictEqual(world.executions, [["c"]])
        assert.isTrue(Option.isNone(yield* store.getRun(SENSOR, "letter-a")))
      })
    )
  })

  test("each run is executed once with its items and recorded succeeded; start reports every run at once", () => {
    const world = newWorld()
    return withLauncher(world, ({ runs, handOff, start, settled, run, receipts }) =>
      Effect.gen(function* () {
        const launched = runs("a", ["b", "c"], "d")
        yield* handOff(launched, 4)
        // The queue owns the runs once they are queued: the runner's bookkeeping ends with `start`.
        assert.deepStrictEqual([...(yield* start(launched))].sort(), ["letter-a", "letter-bc", "letter-d"])
        yield* settled
        assert.deepStrictEqual([...world.executions].map((items) => items.join("")).sort(), ["a", "bc", "d"])
        for (const runKey of ["letter-a", "letter-bc", "letter-d"]) {
          assert.deepStrictEqual(yield* run(runKey), ["succeeded", 1, null, []])
        }
        assert.strictEqual((yield* receipts).length, 3)
      })
    )
  })

  test("a run whose job reports failed items is recorded failed with them, and not retried", () => {
    const world = newWorld({ bad: new Set(["b", "c"]) })
    return withLauncher(world, ({ runs, handOff, start, settled, run, receipts }) =>
      Effect.gen(function* () {
        const launched = runs(["a", "b", "c"])
        yield* handOff(launched, 3)
        yield* start(launched)
        yield* settled
        assert.deepStrictEqual(yield* run("letter-abc"), [
          "failed",
          1,
          "2 of 3 items failed; first: bad letter",
          [
            { item: "b", reason: "bad letter" },
            { item: "c", reason: "bad letter" }
          ]
        ])
        assert.deepStrictEqual(world.executions, [["a", "b", "c"]])
        // A reported failure is an outcome: the job's writes commit with it.
        assert.deepStrictEqual(yield* receipts, ["abc-1"])
      })
    )
  })

  test("a failing attempt is rolled back and retried; the run succeeds on a later attempt", () => {
    const world = newWorld({ flaky: new Map([["a", MAX_ATTEMPTS - 1]]) })
    return withLauncher(world, ({ runs, handOff, start, settled, run, receipts }) =>
      Effect.gen(function* () {
        const launched = runs("a", "b")
        yield* handOff(launched, 2)
        yield* start(launched)
        yield* settled
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", MAX_ATTEMPTS, null, []])
        assert.deepStrictEqual(yield* run("letter-b"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(
          world.executions.filter((items) => items[0] === "a"),
          Array.from({ length: MAX_ATTEMPTS }, () => ["a"])
        )
        // Only the attempt that succeeded left its writes (a receipt is named by the execution's number).
        const succeeded = world.executions.findLastIndex((items) => items[0] === "a") + 1
        assert.deepStrictEqual(
          (yield* receipts).filter((key) => key.startsWith("a-")),
          [`a-${succeeded}`]
        )
      })
    )
  })

  test("a run failing every attempt is recorded failed with the reason after maxAttempts; a retry starts afresh", () => {
    const world = newWorld({ flaky: new Map([["a", MAX_ATTEMPTS]]), broken: new Set(["d"]) })
    return withLauncher(world, ({ store, runs, handOff, start, settled, run, receipts }) =>
      Effect.gen(function* () {
        const launched = runs("a", "d")
        yield* handOff(launched, 2)
        yield* start(launched)
        yield* settled
        assert.deepStrictEqual(yield* run("letter-a"), ["failed", MAX_ATTEMPTS, "a is not ready", []])
        // A defect is recorded with the error's name and message.
        assert.deepStrictEqual(yield* run("letter-d"), ["failed", MAX_ATTEMPTS, "Error: d is broken", []])
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), [
          ...Array.from({ length: MAX_ATTEMPTS }, () => "a"),
          ...Array.from({ length: MAX_ATTEMPTS }, () => "d")
        ])
        assert.deepStrictEqual(yield* receipts, [])

        // A retry gives the dead run maxAttempts fresh attempts: its second new one succeeds.
        world.flaky.set("a", MAX_ATTEMPTS - 1)
        yield* store.resetFailedRuns(SENSOR, "letter-a")
        yield* start(runs("a"))
        yield* settled
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 2 * MAX_ATTEMPTS, null, []])
      })
    )
  })

  test("a finished run is not executed again; once reset, a failed one executes its failed items only", () => {
    const world = newWorld({ bad: new Set(["b"]) })
    return withLauncher(world, ({ store, runs, handOff, start, settled, run }) =>
      Effect.gen(function* () {
        const launched = runs("a", ["b", "c"])
        yield* handOff(launched, 3)
        yield* start(launched)
        yield* settled
        assert.strictEqual((yield* run("letter-a"))[0], "succeeded")
        assert.strictEqual((yield* run("letter-bc"))[0], "failed")

        // Recovery or a retry hands over runs that finished meanwhile: neither is executed again.
        assert.deepStrictEqual([...(yield* start(launched))].sort(), ["letter-a", "letter-bc"])
        yield* settled
        assert.strictEqual(world.executions.length, 2)
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 1, null, []])
        assert.deepStrictEqual(yield* run("letter-bc"), [
          "failed",
          1,
          "1 of 2 items failed; first: bad letter",
          [{ item: "b", reason: "bad letter" }]
        ])

        // A retry: reset, then started again. The job gets the items recorded with the run, only the failed
        // ones once it has failures, whatever the started run carries.
        world.bad.clear()
        assert.deepStrictEqual(
          (yield* store.resetFailedRuns(SENSOR)).map((reset) => reset.runKey),
          ["letter-bc"]
        )
        yield* start([launched[1]!])
        yield* settled
        assert.deepStrictEqual(world.executions.at(-1), ["b"])
        assert.strictEqual(world.executions.length, 3)
        assert.deepStrictEqual(yield* run("letter-bc"), ["succeeded", 2, null, []])
      })
    )
  })

  test("a run started again while still queued is executed once", () => {
    const world = newWorld()
    return withLauncher(world, ({ runs, handOff, start, settled, run }) =>
      Effect.gen(function* () {
        const launched = runs("a", "b")
        yield* handOff(launched, 2)
        // The tick's start and a recovery's, back to back.
        yield* start(launched)
        yield* start(launched)
        yield* settled
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["a", "b"])
        assert.deepStrictEqual(yield* run("letter-a"), ["succeeded", 1, null, []])
      })
    )
  })

  test("under the runner: a tick hands its runs off with the cursor; retryFailed re-executes the failed ones", () => {
    const world = newWorld({ letters: ["a", "b"], bad: new Set(["b"]) })
    return withLauncher(world, ({ store, sensor, settled, run }) =>
      Effect.gen(function* () {
        yield* store.releaseLease(SENSOR, "contract")
        const context = yield* Layer.build(
          SensorRunner.layer([sensor], { owner: "runner", ticks: "on-demand", wakeFloor: 0 })
        )
        const runner = Context.get(context, SensorRunner.SensorRunner)
        const report = yield* runner.tick(SENSOR)
        assert.deepStrictEqual([report.status, report.requested], ["success", ["letter-a", "letter-b"]])
        assert.deepStrictEqual(yield* store.getCursor(SENSOR), Option.some({ next: 2 }))
        yield* settled
        assert.strictEqual((yield* run("letter-a"))[0], "succeeded")
        assert.strictEqual((yield* run("letter-b"))[0], "failed")
        assert.strictEqual((yield* runner.tick(SENSOR)).status, "skipped")

        world.bad.clear()
        assert.deepStrictEqual(yield* runner.retryFailed(SENSOR), ["letter-b"])
        yield* settled
        assert.deepStrictEqual(yield* run("letter-b"), ["succeeded", 2, null, []])
        assert.deepStrictEqual(world.executions.map((items) => items.join("")).sort(), ["a", "b", "b"])
      })
    )
  })
}
