/**
 * What `ItemRepo.search` promises, run against the PostgreSQL repository (on
 * servers and databases of every locale) and against the in-memory double.
 * Where the two differ (stemming), the runner's `Oracle` says which hits are
 * right; everything else is the same test.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { ItemRepo } from "../../src/ItemRepo.ts"
import * as SearchText from "../../src/SearchText.ts"
import { makeItem } from "../../src/testing/ItemFixtures.ts"
import * as Corpus from "./SearchCorpus.ts"

export interface Oracle {
  /** Whether the word can be found on a page of this language (not a stop word of its stemming). */
  readonly searchable: (word: string, language: string) => boolean
  /** Whether a hit on this page for this (folded) word is right: it has the word, or its stem with stemming. */
  readonly allowed: (page: Corpus.Page, word: string) => boolean
}

const byId = new Map(Corpus.pages.map((page) => [page.externalId, page]))

export interface Recall {
  readonly queries: number
  readonly expected: number
  readonly found: number
  readonly wrong: number
}

/**
 * Searches every query word in every spelling, with and without its
 * language, and returns what went wrong (empty when nothing did) and the
 * counts behind the recall.
 */
export const checkCorpus = (oracle: Oracle) =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const problems: Array<string> = []
    let queries = 0
    let expected = 0
    let found = 0
    let wrong = 0
    for (const language of Corpus.LANGUAGES) {
      for (const word of Corpus.queryWords(language)) {
        for (const spelling of Corpus.spellings(word)) {
          for (const filter of [undefined, language]) {
            const hits = yield* repo.search({ text: spelling, language: filter, limit: 100 })
            queries++
            const returned = new Set(hits.map((hit) => hit.externalId))
            for (const page of Corpus.pages) {
              if (filter !== undefined && page.language !== filter) continue
              if (!Corpus.contains(page, word) || !oracle.searchable(word, page.language)) continue
              expected++
              if (returned.has(page.externalId)) found++
              else problems.push(`"${spelling}" (language ${filter ?? "any"}) missed ${page.externalId}`)
            }
            for (const id of returned) {
              const page = byId.get(id)
              if (page === undefined || !oracle.allowed(page, word)) {
                wrong++
                problems.push(`"${spelling}" (language ${filter ?? "any"}) returned ${id}, which lacks it`)
              }
            }
          }
        }
      }
    }
    return { problems, recall: { queries, expected, found, wrong } satisfies Recall }
  })

const ids = (hits: ReadonlyArray<{ readonly externalId: string }>) => hits.map((hit) => hit.externalId)
const sorted = (values: Iterable<string>) => [...values].sort()

export const searchContract = <R, E>(
  name: string,
  repoLayer: Layer.Layer<ItemRepo | R, E>,
  oracle: Effect.Effect<Oracle, never, R>
) =>
  layer(repoLayer, { timeout: 120_000 })(name, (it) => {
    const setup = Effect.gen(function* () {
      yield* (yield* ItemRepo).upsert(Corpus.items)
    })

    it.effect(
      "finds every page that has the word, in any capitalisation, and none that lacks it (fr, ru, ja, zh)",
      () =>
        Effect.gen(function* () {
          yield* setup
          const { problems, recall } = yield* checkCorpus(yield* oracle)
          assert.deepStrictEqual(problems.slice(0, 30), [])
          assert.isAbove(recall.expected, 500)
        }),
      300_000
    )

    it.effect("finds ネットワーク, 网络, RÉSEAU and Сеть on every page that has them", () =>
      Effect.gen(function* () {
        yield* setup
        const repo = yield* ItemRepo
        for (const [text, word, atLeast] of [
          ["ネットワーク", "ネットワーク", 5],
          ["网络", "网络", 4],
          ["RÉSEAU", "réseau", 4],
          ["Сеть", "сеть", 1],
          ["СЕТИ", "сети", 3]
        ] as const) {
          const having = Corpus.pages.filter((page) => Corpus.contains(page, word))
          assert.isAtLeast(having.length, atLeast, text)
          const hits = yield* repo.search({ text, limit: 100 })
          for (const page of having) assert.include(ids(hits), page.externalId, text)
        }
      })
    )

    it.effect("combines words: space is and, `or` is or, `-` excludes, quotes make a phrase", () =>
      Effect.gen(function* () {
        yield* setup
        const repo = yield* ItemRepo
        const find = (text: string, language?: string) =>
          Effect.map(repo.search({ text, language, limit: 100 }), (hits) => new Set(ids(hits)))
        for (const [a, b, language] of [
          ["réseau", "adresse", "fr"],
          ["сети", "адрес", "ru"],
          ["ネットワーク", "設定", "ja"],
          ["网络", "地址", "zh"],
          ["设置", "网络", "zh"],
          ["設定", "ネットワーク", "ja"]
        ] as const) {
          const onlyA = yield* find(a, language)
          const onlyB = yield* find(b, language)
          assert.isAbove(onlyA.size, 0, a)
          assert.deepStrictEqual(
            sorted(yield* find(`${a} ${b}`, language)),
            sorted([...onlyA].filter((id) => onlyB.has(id)))
          )
          assert.deepStrictEqual(sorted(yield* find(`${a} or ${b}`, language)), sorted(new Set([...onlyA, ...onlyB])))
          assert.deepStrictEqual(
            sorted(yield* find(`${a} -${b}`, language)),
            sorted([...onlyA].filter((id) => !onlyB.has(id)))
          )
        }
        // A phrase needs its words next to each other.
        const phrase = yield* find('"adresse IP"', "fr")
        const both = yield* find("adresse IP", "fr")
        assert.isAbove(phrase.size, 0)
        for (const id of phrase) assert.isTrue(both.has(id))
        for (const id of phrase) assert.match(byId.get(id)!.folded, /adresses? ip/)
        // A phrase of a script without spaces: its characters in a row.
        const run = yield* find('"管理者"', "ja")
        assert.deepStrictEqual(
          sorted(run),
          sorted(Corpus.pages.filter((page) => page.folded.includes("管理者")).map((p) => p.externalId))
        )
      })
    )

    it.effect("finds a word of a script without spaces (Japanese, Thai) only where its characters are in a row", () =>
      Effect.gen(function* () {
        const repo = yield* ItemRepo
        const item = (n: number, bodyText: string) => ({
          ...makeItem(n, { comments: 0, sourceType: "notes" }),
          language: "ja",
          title: null,
          bodyText
        })
        // The first has every bigram of 東京都 (東京, 京都) but not the word; the second has it inside a longer run.
        yield* repo.upsert([item(99_101, "東京と京都に行きました。"), item(99_102, "私は東京都庁で働いています。")])
        const find = (text: string) =>
          Effect.map(repo.search({ text, sourceType: "notes", limit: 10 }), (hits) => ids(hits).sort())
        assert.deepStrictEqual(yield* find("東京都"), ["40099102"])
        assert.deepStrictEqual(yield* find("東京"), ["40099101", "40099102"])
        assert.deepStrictEqual(yield* find("都"), ["40099101", "40099102"])
        assert.deepStrictEqual(yield* find("庁"), ["40099102"])
        assert.deepStrictEqual(yield* find("京都 -東京都"), ["40099101"])
        assert.deepStrictEqual(yield* find("東京 -東京都"), ["40099101"])
        // Thai, also written without spaces: its marks are part of the run.
        yield* repo.upsert([{ ...item(99_103, "ฉันชอบเรียนภาษาไทยมาก"), language: "th" }])
        assert.deepStrictEqual(yield* find("ภาษาไทย"), ["40099103"])
        assert.deepStrictEqual(yield* find("เรียน"), ["40099103"])
        assert.deepStrictEqual(yield* find("ไทยภาษา"), [])
      })
    )

    it.effect("finds the words of an item's secondary text (show notes next to a transcript)", () =>
      Effect.gen(function* () {
        const repo = yield* ItemRepo
        yield* repo.upsert([
          {
            ...makeItem(99_201, { comments: 0, sourceType: "podcast" }),
            language: "fr",
            title: "Épisode 12",
            bodyText: "Bonjour à tous, aujourd'hui nous parlons de musique.",
            secondaryText: "Notes de l'épisode : le THÉRÉMINE, inventé en 1920 ; ネットワーク音楽。"
          }
        ])
        for (const text of ["thérémine", "ネットワーク"]) {
          assert.deepStrictEqual(
            ids(yield* repo.search({ text, sourceType: "podcast", limit: 10 })),
            ["40099201"],
            text
          )
        }
      })
    )

    it.effect("marks the matches in a snippet of the item's own text, its capitals kept", () =>
      Effect.gen(function* () {
        yield* setup
        const repo = yield* ItemRepo
        const japanese = yield* repo.search({ text: "ネットワーク", language: "ja", limit: 100 })
        assert.isAbove(japanese.length, 0)
        for (const hit of japanese) assert.include(hit.snippet, "[ネットワーク]")
        const french = yield* repo.search({ text: "RÉSEAU", language: "fr", limit: 100 })
        assert.isAbove(french.length, 0)
        for (const hit of french) {
          const marked = Array.from(hit.snippet.matchAll(/\[([^\]]+)\]/g), (m) => m[1]!)
          assert.isTrue(marked.length > 0, hit.snippet)
          for (const word of marked)
            assert.isTrue(SearchText.fold(word).startsWith("réseau"), `${word} in ${hit.snippet}`)
          // The text as it is: the snippet is a passage of the page, brackets aside.
          const page = byId.get(hit.externalId)!
          const passage = hit.snippet.replaceAll(/[[\]]/g, "").replace(/^…|…$/g, "")
          assert.include(page.body.replace(/\s+/g, " "), passage)
        }
      })
    )

    it.effect("pages through the hits in rank order with limit and offset", () =>
      Effect.gen(function* () {
        yield* setup
        const repo = yield* ItemRepo
        const all = yield* repo.search({ text: "réseau or ネットワーク or 网络 or сети", limit: 100 })
        assert.isAtLeast(all.length, 10)
        for (let n = 1; n < all.length; n++) assert.isAtLeast(all[n - 1]!.rank, all[n]!.rank)
        const paged: Array<string> = []
        for (let offset = 0; offset < all.length + 3; offset += 3) {
          paged.push(...ids(yield* repo.search({ text: "réseau or ネットワーク or 网络 or сети", limit: 3, offset })))
        }
        assert.deepStrictEqual(paged, ids(all))
      })
    )

    it.effect("filters by language (its primary subtag) and by source", () =>
      Effect.gen(function* () {
        yield* setup
        const repo = yield* ItemRepo
        yield* repo.upsert([
          {
            ...makeItem(99_001, { comments: 0, sourceType: "feed" }),
            language: "fr-CA",
            title: "Le réseau",
            bodyText: "Un réseau de neurones."
          }
        ])
        const canadian = yield* repo.search({ text: "réseau", language: "fr-FR", limit: 100 })
        assert.include(ids(canadian), "40099001")
        assert.isTrue(canadian.every((hit) => hit.language?.startsWith("fr")))
        assert.deepStrictEqual(ids(yield* repo.search({ text: "réseau", sourceType: "feed", limit: 100 })), [
          "40099001"
        ])
        assert.deepStrictEqual(yield* repo.search({ text: "réseau", language: "de", limit: 100 }), [])
        assert.deepStrictEqual(yield* repo.search({ text: " «» — ", limit: 100 }), [])
      })
    )
  })
