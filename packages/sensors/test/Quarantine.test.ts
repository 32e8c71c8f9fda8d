/**
 * The runner sets aside what a tick cannot hand to a run (in memory, in real time): items that do not
 * encode with the job's schema, items or run keys a run record could not store, and what the sensor itself
 * names as quarantined. The rest of the tick goes on, and the cursor moves past them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Schema } from "effect"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as Job from "../src/Job.ts"
import * as Quarantine from "../src/Quarantine.ts"
import * as Sensor from "../src/Sensor.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import { QUARANTINE_PREFIX, SensorStore } from "../src/SensorStore.ts"

const processed: Array<string> = []

/** Position 0: runs with bad items among good ones; 1: a skip naming something found; then nothing. */
const sensor = Sensor.make({
  name: "words",
  cursor: Schema.Struct({ position: Schema.Int }),
  initial: { position: 0 },
  evaluate: (cursor) =>
    Effect.succeed(
      cursor.position === 0
        ? Sensor.runs(
            [
              { runKey: "r1", items: ["ok", "nul\u0000", 1.5 as unknown as string, "lone\uD800", "fine"] },
              { runKey: "key\u0000", items: ["under a bad key"] },
              { runKey: "r2", items: ["nul\u0000 only"] }
            ],
            { position: 1 }
          )
        : cursor.position === 1
          ? Sensor.skip("nothing new", { position: 2 }, [
              { item: "hn/~~0123/item.json", reason: "its item record is missing" }
            ])
          : Sensor.skip("nothing at all", cursor)
    ),
  job: Job.make({
    name: "record",
    item: Schema.String,
    run: (items) => Effect.sync(() => (processed.push(...items), Job.succeeded))
  })
})

const harness = SensorRunner.layer([sensor], { owner: "test", wakeFloor: 0 }).pipe(
  Layer.provideMerge(InProcessLauncher.layer({ maxAttempts: 1 })),
  Layer.provideMerge(SensorStore.layerTest)
)

/** Fails with a message instead of leaving the test to vitest's timeout. */
const within = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutOrElse(effect, { duration: "10 seconds", orElse: () => Effect.die(`${what} did not finish in 10 s`) })

describe("quarantine", () => {
  it.live("bad items and bad run keys are recorded as one failed run; the good items run; the cursor moves", () =>
    Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const store = yield* SensorStore
      const first = yield* within("the first tick", runner.tick("words"))
      yield* within("the first tick's runs", runner.awaitIdle("words"))
      assert.strictEqual(first.status, "success")
      assert.deepStrictEqual(processed, ["ok", "fine"])
      assert.deepStrictEqual(first.requested, ["r1"])
      const [key] = first.runKeys.filter((k) => k.startsWith(QUARANTINE_PREFIX))
      assert.match(first.reason ?? "", /5 item\(s\) quarantined in run quarantine:[0-9a-f]{64}/)
      const run = Option.getOrThrow(yield* store.getRun("words", key!))
      assert.strictEqual(run.status, "failed")
      assert.deepStrictEqual(
        run.failures.map((f) => [f.item, f.reason.replace(/:.*/, "")]),
        [
          ['"nul\\u0000"', "its run record cannot store it"],
          [1.5, "the item does not encode with the job's schema"],
          ['"lone\\ud800"', "its run record cannot store it"],
          ["under a bad key", "its run key cannot be stored"],
          ['"nul\\u0000 only"', "its run record cannot store it"]
        ]
      )
      assert.match(run.failures[0]!.reason, /the value contains U\+0000 \(NUL\)/)
      assert.match(run.failures[2]!.reason, /lone surrogate \(U\+D800\)/)
      assert.strictEqual(run.failures[1]!.reason, "the item does not encode with the job's schema: Expected string")
      assert.deepStrictEqual(yield* store.getCursor("words"), Option.some({ position: 1 }))

      // A skip that names something found still records it, and the cursor moves on.
      const second = yield* within("the second tick", runner.tick("words"))
      yield* within("the second tick's runs", runner.awaitIdle("words"))
      assert.strictEqual(second.status, "success")
      const [other] = second.runKeys
      assert.deepStrictEqual(Option.getOrThrow(yield* store.getRun("words", other!)).failures, [
        { item: "hn/~~0123/item.json", reason: "its item record is missing" }
      ])
      assert.deepStrictEqual(yield* store.getCursor("words"), Option.some({ position: 2 }))
      const third = yield* within("the third tick", runner.tick("words"))
      assert.strictEqual(third.status, "skipped")
    }).pipe(Effect.provide(harness))
  )

  it("a quarantine record's key depends on what it holds only, so a tick evaluated again finds it", () => {
    const a = Quarantine.record([
      { item: "x", reason: "r" },
      { item: "y\u0000", reason: "s" }
    ])
    const b = Quarantine.record([
      { item: "y\u0000", reason: "s" },
      { item: "x", reason: "r" }
    ])
    assert.strictEqual(a!.runKey, b!.runKey)
    assert.notStrictEqual(a!.runKey, Quarantine.record([{ item: "x", reason: "r" }])!.runKey)
    assert.deepStrictEqual(a!.items, ["x", '"y\\u0000"'])
    assert.isUndefined(Quarantine.record([]))
  })
})
