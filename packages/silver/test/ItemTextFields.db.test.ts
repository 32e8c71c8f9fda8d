/**
 * The fields migration 0005 adds: everything a source says about an item beyond its body, stored and read
 * back whole, the item's other text found by search, and the transcript's language kept on its segments.
 */
import { assert, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ItemRepo } from "../src/ItemRepo.ts"
import { SilverDatabase } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"

const Migrated = Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer))
const Repo = ItemRepo.layer.pipe(Layer.provideMerge(SilverDatabase.layerFromClient()), Layer.provideMerge(Migrated))

const episode = () => {
  const base = makeItem(7000, { comments: 0, sourceType: "feed" })
  return {
    ...base,
    title: "Episode 12",
    bodyText: "And so, my fellow Americans, ask not what your country can do for you.",
    excerpt: "Ask not.",
    siteName: "The Speeches Podcast",
    categories: ["History", "Politics"],
    secondaryText: "Show notes: recorded in the Quonset hut with a theremin.",
    extractor: "transcript",
    publishedUnparsed: "Thursday, the 5th of never",
    segments: [
      {
        startSeconds: 0,
        endSeconds: 4.5,
        text: "And so, my fellow Americans",
        language: "en",
        artifact: base.artifacts[0]!
      }
    ]
  }
}

layer(Repo, { timeout: 60_000 })("items: the fields beyond the body", (it) => {
  it.effect("stores and reads back excerpt, site name, categories, secondary text, extractor, unparsed date", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const input = episode()
      assert.deepStrictEqual(yield* repo.upsert([input]), { inserted: 1, updated: 0, unchanged: 0 })
      const detail = Option.getOrThrow(yield* repo.get({ sourceType: "feed", externalId: input.externalId }))
      assert.strictEqual(detail.item.excerpt, "Ask not.")
      assert.strictEqual(detail.item.siteName, "The Speeches Podcast")
      assert.deepStrictEqual(detail.item.categories, ["History", "Politics"])
      assert.strictEqual(detail.item.secondaryText, input.secondaryText)
      assert.strictEqual(detail.item.extractor, "transcript")
      assert.strictEqual(detail.item.publishedUnparsed, "Thursday, the 5th of never")
      assert.deepStrictEqual(
        detail.segments.map((s) => [s.text, s.language]),
        [["And so, my fellow Americans", "en"]]
      )
      // The same input again writes nothing; a changed category is a change.
      assert.deepStrictEqual(yield* repo.upsert([input]), { inserted: 0, updated: 0, unchanged: 1 })
      assert.deepStrictEqual(yield* repo.upsert([{ ...input, categories: ["History"] }]), {
        inserted: 0,
        updated: 1,
        unchanged: 0
      })
    })
  )

  it.effect("finds an item by its secondary text (a podcast's show notes), not only by its body", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      yield* repo.upsert([episode()])
      const hits = yield* repo.search({ text: "theremin", limit: 10 })
      assert.deepStrictEqual(
        hits.map((h) => h.externalId),
        [episode().externalId]
      )
    })
  )

  it.effect("refuses an HTML document as secondary text, in the repository and in the database", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const refused = yield* Effect.flip(
        repo.upsert([{ ...episode(), externalId: "html", secondaryText: "<!doctype html><p>notes</p>" }])
      )
      assert.match(refused.message, /secondaryText is an HTML document/)
      const sql = yield* SqlClient
      const error = yield* Effect.flip(
        sql`update items set secondary_text = '<html><body>x</body></html>' where external_id = ${episode().externalId}`
      )
      // The database refuses it too (items_secondary_text_is_not_html), whatever writes the row.
      assert.strictEqual(error._tag, "SqlError")
    })
  )
})
