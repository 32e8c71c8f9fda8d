/**
 * Values PostgreSQL cannot store, on the real database and on the in-memory double (same rules): an id
 * with U+0000, a lone surrogate or over 2,048 units is refused with an `InvalidItem` naming the rule;
 * free text with them is stored repaired (U+FFFD). Ids are kept exactly: NFC and NFD twins are two rows.
 */
import { assert, describe, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { DateTime, Effect, Layer, Option } from "effect"
import * as fc from "fast-check"
import type { ItemInput } from "../src/Item.ts"
import { ItemRepo } from "../src/ItemRepo.ts"
import * as PgText from "../src/PgText.ts"
import { SilverDatabase } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"

const Postgres = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const withId = (n: number, externalId: string): ItemInput => ({
  ...makeItem(n, { comments: 0 }),
  externalId,
  artifacts: makeItem(n, { comments: 0 }).artifacts.map((a) => ({ ...a, location: `hn/x${n}/${a.artifactType}` }))
})

const suite = (name: string, repoLayer: Layer.Layer<ItemRepo, unknown>) =>
  describe(name, () => {
    layer(repoLayer, { timeout: 60_000 })((it) => {
      it.effect("an id PostgreSQL cannot store, or longer than 2,048 units, is refused naming the rule", () =>
        Effect.gen(function* () {
          const repo = yield* ItemRepo
          for (const [id, rule] of [
            ["nul\u0000id", /U\+0000/],
            ["lone\uD800", /lone surrogate \(U\+D800\)/],
            ["x".repeat(2049), /length between 1 and 2048/]
          ] as const) {
            const refused = yield* Effect.flip(repo.upsert([withId(1, id)]))
            assert.strictEqual(refused._tag, "InvalidItem")
            assert.match(refused.message, rule)
            const discovered = yield* Effect.flip(repo.discover([{ sourceType: "hn", externalId: id }]))
            assert.strictEqual(discovered._tag, "InvalidItem")
            assert.match(discovered.message, rule)
          }
          assert.isTrue(Option.isSome(yield* Effect.option(repo.upsert([withId(2, "x".repeat(2048))]))))
        })
      )

      it.effect("a discovery batch refusal names the item at fault, not the first of the batch", () =>
        Effect.gen(function* () {
          const repo = yield* ItemRepo
          const refused = yield* Effect.flip(
            repo.discover([
              { sourceType: "hn", externalId: "d-1" },
              { sourceType: "hn", externalId: "d-\u0000" },
              { sourceType: "hn", externalId: "d-3" }
            ])
          )
          assert.strictEqual(refused._tag, "InvalidItem")
          if (refused._tag === "InvalidItem") assert.strictEqual(refused.externalId, "d-\u0000")
        })
      )

      it.effect(
        "free text with U+0000 or a lone surrogate is stored with U+FFFD, and the upsert stays idempotent",
        () =>
          Effect.gen(function* () {
            const repo = yield* ItemRepo
            const base = makeItem(3, { comments: 2 })
            const item: ItemInput = {
              ...base,
              title: "nul\u0000 and lone\uDC00",
              author: "a\u0000",
              bodyText: "body\u0000text",
              comments: base.comments!.map((c) => ({ ...c, bodyText: "reply\u0000" })),
              segments: [{ startSeconds: 0, endSeconds: 1, text: "said\u0000", artifact: base.artifacts[0]! }],
              transformStatus: "failed",
              transformError: "reason with \u0000",
              excerpt: "excerpt\u0000",
              siteName: "site\uD800",
              categories: ["cat\u0000"],
              secondaryText: "secondary\u0000",
              publishedUnparsed: "when\u0000"
            }
            assert.deepStrictEqual(yield* repo.upsert([item]), { inserted: 1, updated: 0, unchanged: 0 })
            assert.deepStrictEqual(yield* repo.upsert([item]), { inserted: 0, updated: 0, unchanged: 1 })
            const detail = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: item.externalId }))
            assert.strictEqual(detail.item.title, "nul\uFFFD and lone\uFFFD")
            assert.strictEqual(detail.item.author, "a\uFFFD")
            assert.strictEqual(detail.item.bodyText, "body\uFFFDtext")
            assert.strictEqual(detail.item.transformError, "reason with \uFFFD")
            assert.deepStrictEqual(
              [
                detail.item.excerpt,
                detail.item.siteName,
                detail.item.categories,
                detail.item.secondaryText,
                detail.item.publishedUnparsed
              ],
              ["excerpt\uFFFD", "site\uFFFD", ["cat\uFFFD"], "secondary\uFFFD", "when\uFFFD"]
            )
            assert.deepStrictEqual(
              detail.comments.map((c) => c.bodyText),
              ["reply\uFFFD", "reply\uFFFD"]
            )
            assert.strictEqual(detail.segments[0]!.text, "said\uFFFD")
            assert.strictEqual(
              (yield* repo.discover([{ sourceType: "hn", externalId: "t", title: "\u0000" }])).discovered,
              1
            )
            const discovered = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "t" }))
            assert.strictEqual(discovered.item.title, "\uFFFD")
          })
      )

      it.effect("property: any text, with NUL and lone surrogates among it, is stored as its repair", () =>
        Effect.gen(function* () {
          const repo = yield* ItemRepo
          const hostile = fc.oneof(
            fc.constantFrom("\u0000", "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uFFFD", "\uFFFF", "\\u0000", "<"),
            fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
          )
          const titles = fc.array(fc.string({ unit: hostile, maxLength: 40 }), { minLength: 1, maxLength: 20 })
          let run = 0
          const samples = fc.sample(titles, { seed: 14, numRuns: 5 })
          for (const batch of samples) {
            run++
            const items = batch.map((title, i) => ({ ...withId(100 * run + i, `p${run}-${i}`), title }))
            yield* repo.upsert(items)
            for (const [i, title] of batch.entries()) {
              const stored = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: `p${run}-${i}` }))
              assert.strictEqual(stored.item.title, PgText.repair(title), JSON.stringify(title))
              assert.isUndefined(PgText.problem(stored.item.title ?? ""))
            }
          }
        })
      )

      it.effect("ids that differ only in Unicode normalization (NFC, NFD) are two items", () =>
        Effect.gen(function* () {
          const repo = yield* ItemRepo
          const nfc = "caf\u00e9"
          const nfd = "cafe\u0301"
          assert.strictEqual(nfc.normalize("NFC"), nfd.normalize("NFC"))
          assert.deepStrictEqual(yield* repo.upsert([withId(4, nfc), withId(5, nfd)]), {
            inserted: 2,
            updated: 0,
            unchanged: 0
          })
          const a = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: nfc }))
          const b = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: nfd }))
          assert.notStrictEqual(a.item.id, b.item.id)
          assert.strictEqual(a.item.title, withId(4, nfc).title)
          assert.strictEqual(b.item.title, withId(5, nfd).title)
        })
      )
    })
  })

describe("what only PostgreSQL refuses", () => {
  layer(Postgres, { timeout: 60_000 })((it) => {
    it.effect("a batch it refuses for one item's data names that item, with PostgreSQL's reason", () =>
      Effect.gen(function* () {
        const repo = yield* ItemRepo
        // A time the Schema takes (a JavaScript date) that PostgreSQL's timestamptz cannot hold (4713 BC at most).
        const tooOld = DateTime.makeUnsafe(-3e15)
        const batch = [withId(10, "ok-1"), { ...withId(11, "too-old"), publishedAt: tooOld }, withId(12, "ok-2")]
        const refused = yield* Effect.flip(repo.upsert(batch))
        assert.strictEqual(refused._tag, "InvalidItem")
        if (refused._tag === "InvalidItem") {
          assert.strictEqual(refused.externalId, "too-old")
          assert.match(refused.message, /^PostgreSQL refused it: .* out of range/)
        }
        // Nothing of the batch was written; without that item it is.
        assert.isTrue(Option.isNone(yield* repo.get({ sourceType: "hn", externalId: "ok-1" })))
        assert.deepStrictEqual(yield* repo.upsert([batch[0]!, batch[2]!]), { inserted: 2, updated: 0, unchanged: 0 })
      })
    )
  })
})

suite("item values on PostgreSQL", Postgres)
suite("item values in memory (ItemRepo.layerTest)", ItemRepo.layerTest)
