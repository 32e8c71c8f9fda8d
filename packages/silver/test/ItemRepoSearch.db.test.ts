import { assert, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ItemRepo } from "../src/ItemRepo.ts"
import { migrations } from "../src/migrations/index.ts"
import * as SearchText from "../src/SearchText.ts"
import { SilverDatabase } from "../src/SilverDatabase.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"
import { makeItem } from "../src/testing/ItemFixtures.ts"
import * as Corpus from "./search/SearchCorpus.ts"
import { type Oracle, searchContract } from "./search/SearchContract.ts"

// Fresh: a layer built inside another test layer would otherwise be the memoized one, on the other database.
const repoOn = (options: TestDatabase.DatabaseOptions) =>
  Layer.fresh(ItemRepo.layer).pipe(
    Layer.provideMerge(SilverDatabase.layerFromClient()),
    Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run())),
    Layer.provideMerge(TestDatabase.layerWith(options))
  )

/**
 * Which hits are right, by PostgreSQL's own dictionaries: a page is a right
 * hit for a word when one of its words has a lexeme of the word under the
 * page's language configuration (the word, or its stem). Stop words of a
 * language cannot be found on its pages at all.
 */
const stemOracle: Effect.Effect<Oracle, never, SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient
  const lexemes = (language: string, words: ReadonlyArray<string>) =>
    Effect.map(
      sql<{ word: string; lexemes: ReadonlyArray<string> }>`
        select w as word, tsvector_to_array(to_tsvector(silver_text_search_config(${language}), w)) as lexemes
        from json_array_elements_text(${JSON.stringify(words)}::json) w`,
      (rows) => new Map(rows.map((row) => [row.word, row.lexemes]))
    )
  const queryWords = Corpus.LANGUAGES.flatMap((language) => Corpus.queryWords(language)).filter(
    (word) => !SearchText.isUnspaced(word)
  )
  const byLanguage = new Map<string, Map<string, ReadonlyArray<string>>>()
  for (const language of Corpus.LANGUAGES) byLanguage.set(language, yield* lexemes(language, queryWords))
  const pageLexemes = new Map<string, ReadonlySet<string>>()
  for (const page of Corpus.pages) {
    const words = yield* lexemes(page.language, [...page.words])
    pageLexemes.set(page.externalId, new Set([...words.values()].flat()))
  }
  const of = (word: string, language: string) => byLanguage.get(language)?.get(word) ?? []
  const oracle: Oracle = {
    searchable: (word, language) => SearchText.isUnspaced(word) || of(word, language).length > 0,
    allowed: (page, word) =>
      Corpus.contains(page, word) ||
      (!SearchText.isUnspaced(word) && of(word, page.language).some((l) => pageLexemes.get(page.externalId)!.has(l)))
  }
  return oracle
}).pipe(Effect.orDie)

searchContract("ItemRepo search, database in the server's locale", repoOn({}), stemOracle)
searchContract("ItemRepo search, database in the libc C locale", repoOn({ locale: "C" }), stemOracle)

const hitsOn = (options: TestDatabase.DatabaseOptions) =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const sql = yield* SqlClient
    yield* repo.upsert(Corpus.items)
    const [{ lowered }] = (yield* sql<{ lowered: string }>`select lower('RÉSEAU') as lowered`) as unknown as [
      { lowered: string }
    ]
    const answers: Record<string, Array<string>> = { lowered: [lowered] }
    for (const language of Corpus.LANGUAGES) {
      for (const word of Corpus.queryWords(language, 10)) {
        for (const text of Corpus.spellings(word)) {
          const hits = yield* repo.search({ text, limit: 100 })
          answers[text] = hits.map((hit) => `${hit.externalId} ${hit.rank.toFixed(6)} ${hit.snippet}`)
        }
      }
    }
    return answers
  }).pipe(Effect.provide(repoOn(options)))

layer(repoOn({}), { timeout: 120_000 })("ItemRepo search on PostgreSQL", (it) => {
  it.effect(
    "answers the same hits, ranks and snippets in a database whose locale is C",
    () =>
      Effect.gen(function* () {
        const [own, c] = yield* Effect.all([hitsOn({}), hitsOn({ locale: "C" })])
        // The databases differ: only the server's own locale (builtin C.UTF-8 or a UTF-8 libc locale) lowercases É.
        assert.deepStrictEqual([own.lowered, c.lowered], [["réseau"], ["rÉseau"]])
        assert.isAbove(Object.keys(own).length, 50)
        assert.deepStrictEqual({ ...c, lowered: [] }, { ...own, lowered: [] })
      }),
    300_000
  )

  it.effect("matches each item with its own language's stemming, not with every stemmer at once", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      yield* repo.upsert([
        { ...makeItem(5000, { comments: 0 }), language: "en", title: "Notes", bodyText: "They were running home." },
        { ...makeItem(5001, { comments: 0 }), language: null, title: "Notes", bodyText: "Run fast." },
        { ...makeItem(5002, { comments: 0 }), language: "fr", title: "Notes", bodyText: "Les réseaux locaux." },
        { ...makeItem(5003, { comments: 0 }), language: "ru", title: "Заметки", bodyText: "Локальные сети." },
        { ...makeItem(5004, { comments: 0 }), language: "ja", title: "メモ", bodyText: "сетью и réseau" }
      ])
      const find = (text: string, language?: string) =>
        Effect.map(repo.search({ text, language, limit: 10 }), (hits) => hits.map((hit) => hit.externalId).sort())
      // English stemming makes "running" find "running", but not the unstemmed "run" of an item in no language.
      assert.deepStrictEqual(yield* find("running"), ["40005000"])
      assert.deepStrictEqual(yield* find("run"), ["40005000", "40005001"])
      // French stemming finds "réseaux" by "RÉSEAU"; the Japanese item has "réseau" itself.
      assert.deepStrictEqual(yield* find("RÉSEAU"), ["40005002", "40005004"])
      assert.deepStrictEqual(yield* find("Réseaux"), ["40005002"])
      // Russian stemming: "СЕТЬЮ" and "сети" share the stem "сет" on the Russian item only.
      assert.deepStrictEqual(yield* find("СЕТЬЮ"), ["40005003", "40005004"])
      assert.deepStrictEqual(yield* find("сети"), ["40005003"])
      assert.deepStrictEqual(yield* find("сети", "ru"), ["40005003"])
    })
  )

  it.effect("keeps a huge body within the 1 MB a tsvector can hold, and finds what was indexed", () =>
    Effect.gen(function* () {
      const repo = yield* ItemRepo
      const sql = yield* SqlClient
      // 400,000 CJK characters in a pseudo-random order: nearly every bigram distinct, the worst case for the index.
      let x = 2_463_534_242
      const body = Array.from({ length: 400_000 }, () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return String.fromCodePoint(0x4e00 + ((x >>> 0) % 3000))
      }).join("")
      yield* repo.upsert([{ ...makeItem(6000, { comments: 0 }), language: "zh", title: "大文本", bodyText: body }])
      const [row] = yield* sql<{ bytes: number }>`
        select pg_column_size(body_tsv || ''::tsvector) as bytes from items where external_id = '40006000'`
      assert.isBelow(row!.bytes, 1_048_576)
      const hits = yield* repo.search({ text: body.slice(100, 110), limit: 10 })
      assert.deepStrictEqual(
        hits.map((hit) => hit.externalId),
        ["40006000"]
      )
    })
  )
})

layer(TestDatabase.layerWith({ locale: "C" }), { timeout: 120_000 })(
  "migration 0006 on an existing C database",
  (it) => {
    it.effect("re-indexes the rows already there: capitals and Japanese are found, the change feed does not move", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const before = Object.fromEntries(Object.entries(migrations).filter(([id]) => id < "0006"))
        yield* SilverMigrator.run({ migrations: before })
        yield* sql`insert into items (source_type, external_id, language, title, body_text) values
        ('page', 'fr', 'fr', 'LE RÉSEAU', 'Les RÉSEAUX «locaux» du campus.'),
        ('page', 'ja', 'ja', 'ネットワークの設定', 'ネットワーク管理者は、ネットワークインターフェースを設定します。')`
        // What the generated column gave under C: neither is found.
        const [old] = yield* sql<{ count: number }>`
        select count(*)::int as count from items
        where body_tsv @@ to_tsquery('french', 'réseau') or body_tsv @@ to_tsquery('simple', 'ネットワーク')`
        assert.strictEqual(old!.count, 0)
        const stamps = yield* sql<{ xid: string; updatedAt: Date }>`select xid::text, updated_at from items order by id`

        yield* SilverMigrator.run()
        const search = (text: string) =>
          Effect.gen(function* () {
            const repo = yield* ItemRepo
            return (yield* repo.search({ text, limit: 10 })).map((hit) => hit.externalId)
          }).pipe(Effect.provide(ItemRepo.layer), Effect.provide(SilverDatabase.layerFromClient()))
        assert.deepStrictEqual(yield* search("réseau"), ["fr"])
        assert.deepStrictEqual(yield* search("ネットワーク"), ["ja"])
        assert.deepStrictEqual(yield* search("管理"), ["ja"])
        assert.deepStrictEqual(
          yield* sql<{ xid: string; updatedAt: Date }>`select xid::text, updated_at from items order by id`,
          stamps
        )
      })
    )
  }
)
