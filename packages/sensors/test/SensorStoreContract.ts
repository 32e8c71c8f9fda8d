/**
 * The behaviour every `SensorStore` must have, run against the in-memory double and the SQL store.
 */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import { QUARANTINE_PREFIX, SensorStore } from "../src/SensorStore.ts"

export type ContractTest = (name: string, body: () => Effect.Effect<void, unknown, SensorStore>) => void

export const contract = (test: ContractTest, expire: (ms: number) => Effect.Effect<void>) => {
  test("one lease owner at a time; an expired lease is taken over; cursor writes are fenced", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      assert.isTrue(yield* store.acquireLease("lease", "a", 60_000, { n: 0 }))
      assert.isFalse(yield* store.acquireLease("lease", "b", 60_000, { n: 0 }))
      yield* store.putCursor("lease", "a", { n: 1 })
      assert.strictEqual((yield* Effect.flip(store.putCursor("lease", "b", { n: 2 })))._tag, "LeaseLost")
      assert.strictEqual((yield* Effect.flip(store.assertOwner("lease", "b")))._tag, "LeaseLost")
      // a renews with a tiny TTL and stops renewing: b takes over after expiry.
      assert.isTrue(yield* store.acquireLease("lease", "a", 1, { n: 0 }))
      yield* expire(20)
      assert.isTrue(yield* store.acquireLease("lease", "b", 60_000, { n: 0 }))
      // The initial cursor only applies the first time.
      assert.deepStrictEqual(yield* store.getCursor("lease"), Option.some({ n: 1 }))
      assert.isFalse(yield* store.renewLease("lease", "a", 60_000))
      assert.strictEqual((yield* Effect.flip(store.putCursor("lease", "a", { n: 3 })))._tag, "LeaseLost")
      yield* store.releaseLease("lease", "b")
      assert.isTrue(yield* store.acquireLease("lease", "a", 60_000, { n: 0 }))
    }))

  test("lists sensors with their state; a reset unsets the cursor, refused while a live owner holds it", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const listed = (name: string) =>
        Effect.map(store.listSensors, (all) => {
          const found = all.find((s) => s.sensor === name)
          return found === undefined
            ? undefined
            : [found.paused, found.leaseOwner, found.leaseExpiresAt instanceof Date, found.cursor]
        })
      assert.isTrue(yield* store.acquireLease("listed", "a", 60_000, { n: 0 }))
      yield* store.putCursor("listed", "a", { n: 4 })
      yield* store.setPaused("listed.paused", true)
      assert.deepStrictEqual(yield* listed("listed"), [false, "a", true, { n: 4 }])
      // Paused before it ever ran: state with no cursor.
      assert.deepStrictEqual(yield* listed("listed.paused"), [true, null, false, null])
      const names = (yield* store.listSensors).map((s) => s.sensor)
      assert.deepStrictEqual(names, [...names].sort())

      assert.deepStrictEqual(yield* store.resetCursor("listed"), { _tag: "Owned", owner: "a" })
      assert.deepStrictEqual(yield* store.getCursor("listed"), Option.some({ n: 4 }))
      assert.deepStrictEqual(yield* store.resetCursor("listed.never"), { _tag: "NoState" })
      yield* store.releaseLease("listed", "a")
      assert.deepStrictEqual(yield* store.resetCursor("listed"), { _tag: "Reset" })
      assert.isTrue(Option.isNone(yield* store.getCursor("listed")))
      assert.deepStrictEqual(yield* listed("listed"), [false, null, false, null])
      // The next owner starts over: the reset cursor is not replaced by the initial one.
      assert.isTrue(yield* store.acquireLease("listed", "b", 60_000, { n: 0 }))
      assert.isTrue(Option.isNone(yield* store.getCursor("listed")))
    }))

  test("a failed transaction leaves no run records and no tick outcome behind", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const tick = yield* store.startTick("tx", { n: 0 })
      const failed = yield* Effect.flip(
        store.withTransaction(
          Effect.gen(function* () {
            yield* store.insertRuns("tx", [{ runKey: "r1", items: [1] }])
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
      assert.isTrue(Option.isNone(yield* store.getRun("tx", "r1")))
      const [latest] = yield* store.recentTicks("tx", 1)
      assert.strictEqual(latest!.status, "started")
      assert.strictEqual((yield* store.existingRunKeys("tx", ["r1"])).size, 0)
    }))

  test("run records: dedup lookup, status changes, failures, reset of failed runs", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      yield* store.insertRuns("runs", [
        { runKey: "a", items: [{ k: 1 }] },
        { runKey: "b", items: [{ k: 2 }] },
        { runKey: "c", items: [{ k: 3 }] }
      ])
      // Inserting a known key again changes nothing.
      yield* store.insertRuns("runs", [{ runKey: "a", items: [{ k: 99 }] }])
      const existing = yield* store.existingRunKeys("runs", ["a", "c", "zzz"])
      assert.deepStrictEqual([...existing].sort(), ["a", "c"])
      yield* store.updateRun("runs", "a", { status: "running" })
      yield* store.updateRun("runs", "a", { status: "succeeded", error: null, failures: [] })
      yield* store.updateRun("runs", "b", { status: "running" })
      yield* store.updateRun("runs", "b", {
        status: "failed",
        error: "1 of 1 items failed",
        failures: [{ item: { k: 2 }, reason: "bad" }]
      })
      const a = Option.getOrThrow(yield* store.getRun("runs", "a"))
      assert.deepStrictEqual([a.status, a.attempts, a.items], ["succeeded", 1, [{ k: 1 }]])
      const b = Option.getOrThrow(yield* store.getRun("runs", "b"))
      assert.deepStrictEqual(b.failures, [{ item: { k: 2 }, reason: "bad" }])
      assert.deepStrictEqual(
        (yield* store.unfinishedRuns("runs")).map((run) => run.runKey),
        ["c"]
      )
      const reset = yield* store.resetFailedRuns("runs")
      assert.deepStrictEqual(
        reset.map((run) => run.runKey),
        ["b"]
      )
      assert.strictEqual(Option.getOrThrow(yield* store.getRun("runs", "b")).status, "requested")
    }))

  test("quarantine records are failed at once and left alone by a reset", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const quarantine = {
        runKey: `${QUARANTINE_PREFIX}abc`,
        items: ['{"id":"\\u0000"}'],
        error: "1 item(s) quarantined",
        failures: [{ item: '{"id":"\\u0000"}', reason: "cannot be stored" }]
      }
      yield* store.insertFailedRuns("q", [quarantine])
      // Recording it again (a tick evaluated again after a crash) changes nothing.
      yield* store.insertFailedRuns("q", [{ ...quarantine, error: "other" }])
      const stored = Option.getOrThrow(yield* store.getRun("q", quarantine.runKey))
      assert.deepStrictEqual(
        [stored.status, stored.attempts, stored.items, stored.error, stored.failures],
        ["failed", 0, quarantine.items, quarantine.error, quarantine.failures]
      )
      assert.isTrue((yield* store.existingRunKeys("q", [quarantine.runKey])).has(quarantine.runKey))
      assert.deepStrictEqual(yield* store.unfinishedRuns("q"), [])
      yield* store.insertRuns("q", [{ runKey: "plain", items: [1] }])
      yield* store.updateRun("q", "plain", { status: "failed", error: "boom" })
      assert.deepStrictEqual(
        (yield* store.resetFailedRuns("q")).map((run) => run.runKey),
        ["plain"]
      )
      assert.deepStrictEqual(yield* store.resetFailedRuns("q", quarantine.runKey), [])
      assert.strictEqual(Option.getOrThrow(yield* store.getRun("q", quarantine.runKey)).status, "failed")
    }))

  test("reasons and errors PostgreSQL cannot store (U+0000, lone surrogates) are recorded with U+FFFD", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const tick = yield* store.startTick("text", null)
      yield* store.finishTick(tick, {
        status: "failed",
        reason: "bad \u0000 reason \uD800",
        cursorAfter: null,
        runKeys: [],
        durationMs: 1
      })
      assert.strictEqual((yield* store.recentTicks("text", 1))[0]!.reason, "bad \uFFFD reason \uFFFD")
      yield* store.insertRuns("text", [{ runKey: "r", items: [{ id: 1 }] }])
      yield* store.updateRun("text", "r", {
        status: "failed",
        error: "error \u0000",
        failures: [{ item: { id: 1 }, reason: "title \u0000 \uDC00" }]
      })
      const run = Option.getOrThrow(yield* store.getRun("text", "r"))
      assert.deepStrictEqual(
        [run.status, run.error, run.failures],
        ["failed", "error \uFFFD", [{ item: { id: 1 }, reason: "title \uFFFD \uFFFD" }]]
      )
    }))

  test("tick history: outcome, cursors, run keys; abandoned ticks are closed as failed", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      const id = yield* store.startTick("hist", { n: 0 })
      yield* store.finishTick(id, {
        status: "success",
        reason: "ok",
        cursorAfter: { n: 2 },
        runKeys: ["x", "y"],
        durationMs: 3
      })
      yield* store.startTick("hist", { n: 2 })
      assert.strictEqual(yield* store.abandonTicks("hist", "abandoned"), 1)
      const [abandoned, done] = yield* store.recentTicks("hist", 2)
      assert.strictEqual(abandoned!.status, "failed")
      assert.strictEqual(abandoned!.reason, "abandoned")
      assert.deepStrictEqual(
        [done!.status, done!.cursorBefore, done!.cursorAfter, done!.runKeys, done!.runCount],
        ["success", { n: 0 }, { n: 2 }, ["x", "y"], 2]
      )
    }))

  test("retention keeps the newest ticks per sensor and drops old finished runs", () =>
    Effect.gen(function* () {
      const store = yield* SensorStore
      for (let i = 0; i < 5; i++) yield* store.startTick("prune", { n: i })
      yield* store.insertRuns("prune", [
        { runKey: "old", items: [] },
        { runKey: "open", items: [] }
      ])
      yield* store.updateRun("prune", "old", { status: "succeeded" })
      yield* expire(50)
      const pruned = yield* store.prune({ keepTicks: 2, runMaxAgeMs: 10 })
      assert.isAtLeast(pruned.ticks, 3)
      assert.isAtLeast(pruned.runs, 1)
      assert.strictEqual((yield* store.recentTicks("prune", 10)).length, 2)
      assert.isTrue(Option.isNone(yield* store.getRun("prune", "old")))
      assert.isTrue(Option.isSome(yield* store.getRun("prune", "open")))
    }))
}
