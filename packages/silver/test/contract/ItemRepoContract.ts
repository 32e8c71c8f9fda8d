/**
 * The behaviour every `ItemRepo` must have, run against the PostgreSQL repository and `ItemRepo.layerTest`:
 * what a user's test on the double learns about upserts, discovery, statuses and the reads holds in
 * production. Each test works in a source type of its own, so the suite can share one database.
 */
import { assert } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { ItemInput } from "../../src/Item.ts"
import { changesFromStart, ItemRepo } from "../../src/ItemRepo.ts"
import { makeItem } from "../../src/testing/ItemFixtures.ts"

export type ContractTest = (name: string, body: () => Effect.Effect<void, unknown, ItemRepo>) => void

/** `pause` lets time pass between two writes (the TestClock for the double, real time for PostgreSQL). */
export const contract = (test: ContractTest, pause: Effect.Effect<void>) => {
  const items = (sourceType: string, count: number, comments = 3): Array<ItemInput> =>
    Array.from({ length: count }, (_, n) => makeItem(n, { comments, sourceType }))
  const key = (sourceType: string, n: number) => ({ sourceType, externalId: String(40_000_000 + n) })
  const state = (sourceType: string, externalId: string) =>
    Effect.map(
      Effect.flatMap(ItemRepo, (repo) => repo.get({ sourceType, externalId })),
      (detail) => {
        const item = Option.getOrThrow(detail).item
        return [item.fetchStatus, item.fetchError]
      }
    )

  test("an upsert is idempotent: the same batch again writes nothing, a change rewrites only that item", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const batch = items("c-upsert", 20)
      assert.deepStrictEqual(yield* repo.upsert(batch), { inserted: 20, updated: 0, unchanged: 0 })
      const first = Option.getOrThrow(yield* repo.get(key("c-upsert", 3)))
      yield* pause
      assert.deepStrictEqual(yield* repo.upsert(batch), { inserted: 0, updated: 0, unchanged: 20 })
      const again = Option.getOrThrow(yield* repo.get(key("c-upsert", 3)))
      assert.deepStrictEqual(again.item.updatedAt, first.item.updatedAt)
      assert.deepStrictEqual(
        again.comments.map((c) => c.depth),
        [0, 1, 2]
      )
      assert.deepStrictEqual(yield* repo.upsert([{ ...batch[3]!, title: "changed" }]), {
        inserted: 0,
        updated: 1,
        unchanged: 0
      })
      assert.strictEqual(Option.getOrThrow(yield* repo.get(key("c-upsert", 3))).item.title, "changed")
    }))

  test("an invalid item refuses the whole batch, naming the item; nothing of it is written", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const [good, other] = items("c-invalid", 2)
      const refused = yield* Effect.flip(repo.upsert([good!, { ...other!, fetchStatus: "failed" }]))
      assert.strictEqual(refused._tag, "InvalidItem")
      if (refused._tag === "InvalidItem") assert.strictEqual(refused.externalId, other!.externalId)
      assert.isTrue(Option.isNone(yield* repo.get(key("c-invalid", 0))))
    }))

  test("discovery adds pending items and leaves known ones, unless known from a listing only", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const sourceType = "c-discover"
      yield* repo.upsert(items(sourceType, 2))
      const fetchedId = key(sourceType, 1).externalId
      assert.deepStrictEqual(
        yield* repo.discover([
          { sourceType, externalId: fetchedId, title: "ignored" },
          { sourceType, externalId: "fresh" }
        ]),
        { discovered: 1 }
      )
      assert.deepStrictEqual(yield* state(sourceType, fetchedId), ["fetched", null])
      assert.strictEqual(
        Option.getOrThrow(yield* repo.get({ sourceType, externalId: fetchedId })).item.title,
        items(sourceType, 2)[1]!.title
      )
      assert.deepStrictEqual(
        (yield* repo.listByStatus({ sourceType, fetchStatus: "pending", limit: 5 })).map((i) => i.externalId),
        ["fresh"]
      )
      // Known from a listing only: it takes the newest listing's state (skipped with the reason, then pending).
      const limit = "listed beyond the source's limit of 5 items (maxItems)"
      yield* repo.discover([{ sourceType, externalId: "listed", fetchStatus: "skipped", fetchError: limit }])
      assert.deepStrictEqual(yield* state(sourceType, "listed"), ["skipped", limit])
      assert.deepStrictEqual(yield* repo.discover([{ sourceType, externalId: "listed" }]), { discovered: 0 })
      assert.deepStrictEqual(yield* state(sourceType, "listed"), ["pending", null])
      // A row the transform wrote keeps its state.
      yield* repo.discover([{ sourceType, externalId: fetchedId, fetchStatus: "skipped", fetchError: limit }])
      assert.deepStrictEqual(yield* state(sourceType, fetchedId), ["fetched", null])
    }))

  test("statuses change alone; counts, status lists and the stale list follow", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const sourceType = "c-status"
      yield* repo.upsert(items(sourceType, 5, 0))
      yield* repo.discover([{ sourceType, externalId: "fresh" }])
      assert.deepStrictEqual(
        yield* repo.setStatus([
          { ...key(sourceType, 2), transformStatus: "failed", transformError: "bad" },
          { sourceType, externalId: "no-such-item", transformStatus: "failed", transformError: "bad" }
        ]),
        { updated: 1 }
      )
      const failed = Option.getOrThrow(yield* repo.get(key(sourceType, 2))).item
      assert.deepStrictEqual([failed.transformStatus, failed.transformError], ["failed", "bad"])
      assert.deepStrictEqual(
        (yield* repo.countByStatus({ sourceType })).map((c) => [c.fetchStatus, c.transformStatus, c.count]),
        [
          ["fetched", "failed", 1],
          ["fetched", "transformed", 4],
          ["pending", "pending", 1]
        ]
      )
      const listed = yield* repo.listByStatus({ sourceType, transformStatus: "transformed", limit: 2 })
      assert.deepStrictEqual(
        listed.map((i) => i.externalId),
        [key(sourceType, 0).externalId, key(sourceType, 1).externalId]
      )
      const next = yield* repo.listByStatus({
        sourceType,
        transformStatus: "transformed",
        limit: 10,
        afterId: listed[1]!.id
      })
      assert.deepStrictEqual(
        next.map((i) => i.externalId),
        [key(sourceType, 3).externalId, key(sourceType, 4).externalId]
      )
      // Stale: recorded by an older transform version, or never transformed (the pending one).
      assert.deepStrictEqual(
        (yield* repo.stale({ sourceType, currentVersion: 1, limit: 100 })).map((i) => i.externalId),
        ["fresh"]
      )
      assert.strictEqual((yield* repo.stale({ sourceType, currentVersion: 2, limit: 100 })).length, 6)
    }))

  test("the change feed gives every write once, then what was written after its cursor", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const sourceType = "c-changes"
      const batch = items(sourceType, 4, 0)
      yield* repo.upsert(batch)
      let cursor = changesFromStart
      const seen: Array<string> = []
      for (;;) {
        const page = yield* repo.changes(cursor, 50)
        seen.push(...page.items.filter((i) => i.sourceType === sourceType).map((i) => i.externalId))
        if (page.items.length === 0) break
        cursor = page.next
      }
      assert.deepStrictEqual([...seen].sort(), batch.map((i) => i.externalId).sort())
      yield* repo.upsert(batch)
      assert.deepStrictEqual((yield* repo.changes(cursor, 50)).items, [], "an unchanged upsert is no change")
      yield* repo.upsert([{ ...batch[2]!, title: "later" }])
      assert.deepStrictEqual(
        (yield* repo.changes(cursor, 50)).items.map((i) => i.externalId),
        [batch[2]!.externalId]
      )
    }))
}
