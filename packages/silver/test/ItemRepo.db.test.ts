import { assert, describe, it, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { TestDatabase } from "@medallion/silver/testing"
import { Context, Effect, Fiber, Layer, Option, Queue } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { ItemInput } from "../src/Item.ts"
import { CHANGED_CHANNEL, changesFromStart, ItemRepo } from "../src/ItemRepo.ts"
import { SilverDatabase } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"

const Migrated = Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer))
const Repo = ItemRepo.layer.pipe(Layer.provideMerge(SilverDatabase.layerFromClient()), Layer.provideMerge(Migrated))

/** The xmin (writing transaction) of every row of a child table for one item: unchanged xmin = not rewritten. */
const rowVersions = (table: string, externalId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const rows = yield* sql<{ v: string }>`
      select t.xmin::text as v from ${sql(table)} t join items i on i.id = t.item_id
      where i.external_id = ${externalId} order by 1`
    return rows.map((r) => r.v)
  })

const itemVersion = (externalId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const [row] = yield* sql<{ xid: string; updatedAt: Date }>`
      select xid::text, updated_at from items where external_id = ${externalId}`
    return row!
  })

layer(Repo, { timeout: 60_000 })("ItemRepo", (it) => {
  it.effect("upserts hundreds of items with their children in one call and reads one back whole", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const items = Array.from({ length: 300 }, (_, n) => makeItem(n))
      const result = yield* repo.upsert(items)
      assert.deepStrictEqual(result, { inserted: 300, updated: 0, unchanged: 0 })

      const detail = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000007" }))
      assert.strictEqual(detail.item.title, items[7]!.title)
      assert.strictEqual(detail.item.bodyText, items[7]!.bodyText)
      assert.strictEqual(detail.item.fetchStatus, "fetched")
      assert.strictEqual(detail.item.transformVersion, 1)
      assert.deepStrictEqual(
        detail.artifacts.map((a) => `${a.artifactName}:${a.artifactType}.${a.ext}`),
        ["article:article.html", "comments:comments@2026-11-27T05-00-00Z.json", "item:item.json"]
      )
      assert.strictEqual(detail.comments.length, 10)
      assert.deepStrictEqual(
        detail.comments.slice(0, 4).map((c) => [c.externalId, c.parentExternalId, c.depth]),
        [
          ["50000700", null, 0],
          ["50000701", "50000700", 1],
          ["50000702", "50000701", 2],
          ["50000703", null, 0]
        ]
      )
      assert.isTrue(Option.isNone(yield* repo.get({ sourceType: "hn", externalId: "nope" })))

      const counts = yield* repo.countByStatus({ sourceType: "hn" })
      assert.deepStrictEqual(counts, [
        {
          sourceType: "hn",
          fetchStatus: "fetched",
          transcriptionStatus: "not_applicable",
          transformStatus: "transformed",
          count: 300
        }
      ])
    })
  )

  it.effect("is idempotent: the same batch again writes nothing (no updated_at churn, no child rewrite)", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const items = Array.from({ length: 300 }, (_, n) => makeItem(n))
      const before = yield* itemVersion("40000042")
      const comments = yield* rowVersions("comments", "40000042")
      const result = yield* repo.upsert(items)
      assert.deepStrictEqual(result, { inserted: 0, updated: 0, unchanged: 300 })
      assert.deepStrictEqual(yield* itemVersion("40000042"), before)
      assert.deepStrictEqual(yield* rowVersions("comments", "40000042"), comments)
    })
  )

  it.effect("rewrites only what changed: a new comment rewrites the comments, not the artifacts", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const base = makeItem(5)
      const artifacts = yield* rowVersions("item_artifacts", "40000005")
      const before = yield* itemVersion("40000005")
      const changed: ItemInput = {
        ...base,
        comments: [
          ...(base.comments ?? []),
          { ...base.comments![0]!, externalId: "extra", parentExternalId: "50000500" }
        ]
      }
      assert.deepStrictEqual(yield* repo.upsert([changed]), { inserted: 0, updated: 1, unchanged: 0 })
      const after = yield* itemVersion("40000005")
      assert.notStrictEqual(after.xid, before.xid)
      assert.deepStrictEqual(yield* rowVersions("item_artifacts", "40000005"), artifacts)
      const detail = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000005" }))
      assert.strictEqual(detail.comments.length, 11)
      assert.strictEqual(detail.comments[10]!.depth, 1)
      // and back: the original input restores the original rows
      assert.deepStrictEqual(yield* repo.upsert([base]), { inserted: 0, updated: 1, unchanged: 0 })
      const restored = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000005" }))
      assert.strictEqual(restored.comments.length, 10)
    })
  )

  it.effect("refuses an invalid batch as a whole, with the item and the reason", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const good = makeItem(1000)
      const cases: Array<[ItemInput, string]> = [
        [{ ...makeItem(1001), fetchStatus: "failed" }, "fetch is failed but no fetch error"],
        [{ ...makeItem(1002), transformError: "boom" }, "a transform error is given but transform is transformed"],
        [{ ...makeItem(1003), artifacts: [] }, "which is not in artifacts"],
        [
          { ...makeItem(1004), comments: [{ ...makeItem(1004).comments![1]!, parentExternalId: "missing" }] },
          "replies to missing"
        ],
        [{ ...makeItem(1005), bodyText: "<!doctype html><p>raw</p>" }, "HTML document"],
        [{ ...makeItem(1006), sourceType: "Bad Slug" }, "Expected"]
      ]
      for (const [bad, message] of cases) {
        const error = yield* Effect.flip(repo.upsert([good, bad]))
        assert.strictEqual(error._tag, "InvalidItem")
        assert.include(error.message, message)
      }
      const twice = yield* Effect.flip(repo.upsert([good, good]))
      assert.include(twice.message, "listed twice")
      assert.isTrue(Option.isNone(yield* repo.get({ sourceType: "hn", externalId: good.externalId })))
    })
  )

  it.effect("discovers items as pending without touching items it already has, unless only listed before", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const result = yield* repo.discover([
        { sourceType: "hn", externalId: "40000001", title: "must not overwrite" },
        { sourceType: "hn", externalId: "new-1", url: "https://example.com/new-1" },
        { sourceType: "hn", externalId: "new-1" }
      ])
      assert.deepStrictEqual(result, { discovered: 1 })
      const known = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000001" }))
      assert.strictEqual(known.item.fetchStatus, "fetched")
      assert.notStrictEqual(known.item.title, "must not overwrite")
      const pending = yield* repo.listByStatus({ fetchStatus: "pending", limit: 10 })
      assert.deepStrictEqual(
        pending.map((i) => [i.externalId, i.url, i.transcriptionStatus]),
        [["new-1", "https://example.com/new-1", "not_applicable"]]
      )

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
    })
  )

  it.effect("changes statuses only, and lists items by status and by stale transform version", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const failed = yield* repo.setStatus([
        { sourceType: "hn", externalId: "40000010", transformStatus: "failed", transformError: "invalid JSON at 12" },
        { sourceType: "hn", externalId: "40000011", transformVersion: 2 },
        { sourceType: "hn", externalId: "does-not-exist", fetchStatus: "gone" }
      ])
      assert.deepStrictEqual(failed, { updated: 2 })
      const again = yield* repo.setStatus([{ sourceType: "hn", externalId: "40000011", transformVersion: 2 }])
      assert.deepStrictEqual(again, { updated: 0 })
      const bad = yield* Effect.flip(
        repo.setStatus([{ sourceType: "hn", externalId: "40000012", fetchStatus: "failed" }])
      )
      assert.strictEqual(bad._tag, "InvalidItem")

      const list = yield* repo.listByStatus({ sourceType: "hn", transformStatus: "failed", limit: 10 })
      assert.deepStrictEqual(
        list.map((i) => [i.externalId, i.transformError]),
        [["40000010", "invalid JSON at 12"]]
      )
      const detail = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000010" }))
      assert.strictEqual(detail.comments.length, 10, "a status change keeps the rows")

      const stale = yield* repo.stale({ sourceType: "hn", currentVersion: 2, limit: 5 })
      assert.strictEqual(stale.length, 5)
      assert.notInclude(
        stale.map((i) => i.externalId),
        "40000011"
      )
      const page2 = yield* repo.stale({ sourceType: "hn", currentVersion: 2, limit: 5, afterId: stale[4]!.id })
      assert.isTrue(page2[0]!.id > stale[4]!.id)

      // the next upsert of the same content restores what the transform says
      yield* repo.upsert([makeItem(10), makeItem(11)])
      const restored = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "40000010" }))
      assert.strictEqual(restored.item.transformStatus, "transformed")
    })
  )

  it.effect("searches body_text and titles with stemming, best match first", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      yield* repo.upsert([
        {
          ...makeItem(2000, { comments: 0 }),
          title: "Zebras crossing",
          bodyText: "The zebras were running across the plains."
        },
        { ...makeItem(2001, { comments: 0 }), title: "Notes", bodyText: "A zebra runs." },
        {
          ...makeItem(2002, { comments: 0 }),
          language: "de",
          title: "Zebrastreifen",
          bodyText: "Die Zebras liefen über die Straßen der Stadt."
        }
      ])
      const hits = yield* repo.search({ text: "zebra running", limit: 10 })
      assert.deepStrictEqual(
        hits.map((h) => h.externalId),
        ["40002000", "40002001"]
      )
      assert.include(hits[0]!.snippet, "[")
      const german = yield* repo.search({ text: "Straße", language: "de", limit: 10 })
      assert.deepStrictEqual(
        german.map((h) => h.externalId),
        ["40002002"]
      )
      assert.deepStrictEqual(yield* repo.search({ text: "Straße", language: "en", limit: 10 }), [])
    })
  )

  it.effect("notifies medallion_silver_changed in the writing transaction", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const pg = yield* PgClient.PgClient
      const queue = yield* pg.listen(CHANGED_CHANNEL)
      yield* repo.upsert([makeItem(3000)])
      const notification = yield* Queue.take(queue)
      assert.strictEqual(JSON.parse(notification.payload).count, 1)
      // nothing changed: no notification (the next one comes from the discover below)
      yield* repo.upsert([makeItem(3000)])
      yield* repo.discover([{ sourceType: "hn", externalId: "notify-2" }])
      const next = yield* Queue.take(queue)
      assert.strictEqual(JSON.parse(next.payload).count, 1)
      assert.strictEqual(yield* Queue.size(queue), 0)
    })
  )

  it.effect("the change feed never passes a transaction that is still open", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const sql = yield* SqlClient
      // Read the feed to its end.
      let cursor = changesFromStart
      for (;;) {
        const page = yield* repo.changes(cursor, 1000)
        cursor = page.next
        if (page.items.length < 1000) break
      }
      // A writer that starts first but commits last.
      const gate = yield* Queue.unbounded<void>()
      const release = yield* Queue.unbounded<void>()
      const slow = yield* sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`insert into items (source_type, external_id) values ('hn', 'slow-writer')`
            yield* Queue.offer(gate, undefined)
            yield* Queue.take(release)
          })
        )
        .pipe(Effect.forkChild)
      yield* Queue.take(gate)
      yield* repo.upsert([makeItem(4000)])
      const during = yield* repo.changes(cursor, 1000)
      assert.deepStrictEqual(
        during.items.map((i) => i.externalId),
        [],
        "the later commit waits behind the open transaction"
      )
      yield* Queue.offer(release, undefined)
      yield* Fiber.join(slow)
      const after = yield* repo.changes(during.next, 1000)
      assert.deepStrictEqual(after.items.map((i) => i.externalId).toSorted(), ["40004000", "slow-writer"])
      const empty = yield* repo.changes(after.next, 1000)
      assert.deepStrictEqual(empty.items, [])
    })
  )
})

describe("ItemRepo with two writers", () => {
  it.live(
    "two processes writing the same items at once leave one writer's complete version, without deadlock",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase()
        // Two pools, as two transform daemons would have.
        const writer = Effect.gen(function* () {
          const context = yield* Layer.build(
            Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url: database.url, poolSize: 2 }))
          )
          return { repo: Context.get(context, ItemRepo), sql: Context.get(context, SqlClient) }
        })
        const { repo: first, sql } = yield* writer
        const { repo: second } = yield* writer
        yield* SilverMigrator.run().pipe(Effect.provideService(SqlClient, sql))
        const variant = (n: number, tag: string) => {
          const item = makeItem(n, { comments: 6 })
          return {
            ...item,
            title: `${tag} ${n}`,
            comments: item.comments!.map((c) => ({ ...c, bodyText: `${tag} ${c.externalId}` }))
          }
        }
        for (let round = 0; round < 15; round++) {
          const keys = Array.from({ length: 20 }, (_, n) => n)
          // Opposite orders, so a naive writer would deadlock.
          yield* Effect.all(
            [
              first.upsert(keys.map((n) => variant(n, `a${round}`))),
              second.upsert(keys.toReversed().map((n) => variant(n, `b${round}`)))
            ],
            { concurrency: 2 }
          )
          for (const n of [0, 7, 19]) {
            const detail = Option.getOrThrow(yield* first.get({ sourceType: "hn", externalId: String(40_000_000 + n) }))
            const tag = detail.item.title!.split(" ")[0]!
            assert.oneOf(tag, [`a${round}`, `b${round}`])
            assert.strictEqual(detail.comments.length, 6)
            for (const comment of detail.comments) assert.strictEqual(comment.bodyText, `${tag} ${comment.externalId}`)
          }
        }
      }).pipe(Effect.scoped),
    120_000
  )
})
