import { assert, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { changesFromStart, ItemRepo } from "../src/ItemRepo.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"

it.effect("ItemRepo.layerTest upserts idempotently, validates like the database, and serves the reads", () =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const items = Array.from({ length: 20 }, (_, n) => makeItem(n, { comments: 3 }))
    assert.deepStrictEqual(yield* repo.upsert(items), { inserted: 20, updated: 0, unchanged: 0 })
    const first = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000003" }))
    yield* TestClock.adjust("1 minute")
    assert.deepStrictEqual(yield* repo.upsert(items), { inserted: 0, updated: 0, unchanged: 20 })
    const again = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000003" }))
    assert.deepStrictEqual(again.item.updatedAt, first.item.updatedAt)
    assert.deepStrictEqual(
      again.comments.map((c) => c.depth),
      [0, 1, 2]
    )
    assert.deepStrictEqual(yield* repo.upsert([{ ...items[3]!, title: "changed" }]), {
      inserted: 0,
      updated: 1,
      unchanged: 0
    })

    const invalid = yield* Effect.flip(repo.upsert([{ ...makeItem(99), fetchStatus: "failed" }]))
    assert.strictEqual(invalid._tag, "InvalidItem")

    assert.deepStrictEqual(
      yield* repo.discover([
        { sourceType: "hn", externalId: "40000001", title: "ignored" },
        { sourceType: "hn", externalId: "fresh" }
      ]),
      { discovered: 1 }
    )
    assert.strictEqual(
      Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000001" })).item.fetchStatus,
      "fetched"
    )
    assert.deepStrictEqual(
      (yield* repo.listByStatus({ fetchStatus: "pending", limit: 5 })).map((i) => i.externalId),
      ["fresh"]
    )

    assert.deepStrictEqual(
      yield* repo.setStatus([
        { sourceType: "hn", externalId: "40000002", transformStatus: "failed", transformError: "bad" }
      ]),
      { updated: 1 }
    )
    const counts = yield* repo.countByStatus()
    assert.deepStrictEqual(
      counts.map((c) => [c.fetchStatus, c.transformStatus, c.count]),
      [
        ["fetched", "failed", 1],
        ["fetched", "transformed", 19],
        ["pending", "pending", 1]
      ]
    )
    assert.strictEqual((yield* repo.stale({ sourceType: "hn", currentVersion: 2, limit: 100 })).length, 21)
    assert.deepStrictEqual(
      (yield* repo.search({ text: "Story 7:", limit: 5 })).map((h) => h.externalId),
      ["40000007"]
    )

    const page = yield* repo.changes(changesFromStart, 100)
    assert.strictEqual(page.items.length, 21)
    assert.deepStrictEqual((yield* repo.changes(page.next, 100)).items, [])
    yield* repo.upsert([{ ...items[5]!, title: "later" }])
    assert.deepStrictEqual(
      (yield* repo.changes(page.next, 100)).items.map((i) => i.externalId),
      ["40000005"]
    )
  }).pipe(Effect.provide(ItemRepo.layerTest))
)

it.effect("each ItemRepo.layerTest build starts empty", () =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    assert.deepStrictEqual(yield* repo.countByStatus(), [])
  }).pipe(Effect.provide(ItemRepo.layerTest))
)

it.effect("ItemRepo.layerTest: a row known only from listings takes the newest listing's state", () =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    yield* repo.upsert([makeItem(1)])
    // Known from a listing only: it takes the newest listing's state, so it moves on when the source's
    // configuration changes (listed beyond the limit: skipped with the reason; within it: pending again).
    const limit = "listed beyond the source's limit of 5 items (maxItems)"
    assert.deepStrictEqual(
      yield* repo.discover([{ sourceType: "hn", externalId: "listed-1", fetchStatus: "skipped", fetchError: limit }]),
      { discovered: 1 }
    )
    const state = (externalId: string) =>
      Effect.map(repo.get({ sourceType: "hn", externalId }), (d) => {
        const item = Option.getOrThrow(d).item
        return [item.fetchStatus, item.fetchError]
      })
    assert.deepStrictEqual(yield* state("listed-1"), ["skipped", limit])
    assert.deepStrictEqual(yield* repo.discover([{ sourceType: "hn", externalId: "listed-1" }]), { discovered: 0 })
    assert.deepStrictEqual(yield* state("listed-1"), ["pending", null])
    // A row the transform wrote (fetched, failed, or refused with its record as provenance) keeps its state.
    yield* repo.discover([{ sourceType: "hn", externalId: "40000001", fetchStatus: "skipped", fetchError: limit }])
    assert.strictEqual((yield* state("40000001"))[0], "fetched")
  }).pipe(Effect.provide(ItemRepo.layerTest))
)
