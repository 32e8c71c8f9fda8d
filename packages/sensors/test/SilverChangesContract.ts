/**
 * What every silver -> gold sensor evaluation must do, run on `SilverChangesSensor` (PostgreSQL's
 * transaction ids) and on its double `SilverChangesSensorTest` (`ItemRepo.changes` on `ItemRepo.layerTest`):
 * what a gold sensor's test on the double learns about the items it is handed holds in production. Items
 * are written through `ItemRepo`, each test in a source type of its own, so the suite can share a database.
 */
import { assert } from "@effect/vitest"
import { ItemRepo } from "@medallion/silver"
import { ItemFixtures } from "@medallion/silver/testing"
import { Effect } from "effect"
import type * as Sensor from "../src/Sensor.ts"

interface Key {
  readonly sourceType: string
  readonly externalId: string
}

/** One evaluation from `cursor`, with microbatches of `batchSize` and at most `maxRuns` runs. */
export type Tick<R> = (
  cursor: unknown,
  options: { readonly batchSize: number; readonly maxRuns: number }
) => Effect.Effect<Sensor.Evaluation<unknown, Key>, unknown, R>

export type ContractTest<R> = (name: string, body: () => Effect.Effect<void, unknown, ItemRepo | R>) => void

export const contract = <R>(test: ContractTest<R>, tick: Tick<R>, initial: unknown) => {
  const items = (sourceType: string, count: number) =>
    Array.from({ length: count }, (_, n) => ItemFixtures.makeItem(n, { sourceType, comments: 1, bodyLength: 200 }))
  const wide = { batchSize: 100, maxRuns: 10 }

  /** Ticks until one hands out nothing: the items of `sourceType` handed out, each run's, and the cursor. */
  const drain = (from: unknown, sourceType: string, options = wide) =>
    Effect.gen(function* () {
      let cursor = from
      const runs: Array<ReadonlyArray<string>> = []
      for (let ticks = 0; ticks < 1_000; ticks++) {
        const evaluation = yield* tick(cursor, options)
        cursor = evaluation.cursor
        if (evaluation._tag !== "Runs" || evaluation.runs.length === 0) break
        assert.isAtMost(evaluation.runs.length, options.maxRuns)
        for (const run of evaluation.runs) {
          assert.isAtMost(run.items.length, options.batchSize)
          const own = run.items.filter((i) => i.sourceType === sourceType).map((i) => i.externalId)
          if (own.length > 0) runs.push(own)
        }
      }
      return { cursor, runs, seen: runs.flat().sort() }
    })

  /** A cursor past everything written so far. */
  const now = Effect.map(drain(initial, ""), (d) => d.cursor)

  test("every item written after the cursor is handed out once; the next tick hands out nothing", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const from = yield* now
      const batch = items("g-once", 5)
      yield* repo.upsert(batch)
      const first = yield* drain(from, "g-once")
      assert.deepStrictEqual(first.seen, batch.map((i) => i.externalId).sort())
      assert.deepStrictEqual((yield* drain(first.cursor, "g-once")).seen, [])
    }))

  test("a change hands the item out again; an unchanged upsert does not", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const batch = items("g-change", 3)
      yield* repo.upsert(batch)
      const after = (yield* drain(yield* now, "g-change")).cursor
      yield* repo.upsert(batch)
      const unchanged = yield* drain(after, "g-change")
      assert.deepStrictEqual(unchanged.seen, [])
      yield* repo.upsert([{ ...batch[1]!, title: "a new title" }])
      assert.deepStrictEqual((yield* drain(unchanged.cursor, "g-change")).seen, [batch[1]!.externalId])
    }))

  test("more changes than one tick's budget are paged over ticks: microbatches of batchSize, every item once", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const from = yield* now
      const batch = items("g-paged", 11)
      yield* repo.upsert(batch)
      const small = { batchSize: 3, maxRuns: 2 }
      const first = yield* tick(from, small)
      assert.strictEqual(first._tag, "Runs")
      assert.strictEqual(first._tag === "Runs" ? first.runs.length : 0, 2, "a full tick takes its budget")
      const all = yield* drain(from, "g-paged", small)
      assert.deepStrictEqual(all.seen, batch.map((i) => i.externalId).sort())
      assert.strictEqual(new Set(all.seen).size, 11)
      assert.isAtLeast(all.runs.length, 4)
    }))

  test("a tick evaluated again from the same cursor asks for the same runs (a replayed tick doubles nothing)", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const from = yield* now
      yield* repo.upsert(items("g-replay", 4))
      const keys = (evaluation: Sensor.Evaluation<unknown, Key>) =>
        evaluation._tag === "Runs" ? evaluation.runs.map((run) => run.runKey) : []
      const once = yield* tick(from, wide)
      const again = yield* tick(from, wide)
      assert.isAbove(keys(once).length, 0)
      assert.deepStrictEqual(keys(again), keys(once))
      assert.deepStrictEqual(again.cursor, once.cursor)
    }))
}
