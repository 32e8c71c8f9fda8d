/**
 * The extraction corpus (`test/fixtures/corpus/`, `pages.json`): 70 real pages (articles in 9 languages
 * and charsets, manuals, API references and man pages) and 31 real feeds. Every page must give its
 * expected title, author, published time and language (a field listed in `knownMisses` must still be
 * wrong: fixing it means updating the entry), hold its must-contain phrases and none of its must-not-
 * contain ones; reference pages must keep 90% of their main text. Every feed entry whose XML carries a
 * text, a valid date, an author, categories or a language keeps it in the rows handed to silver.
 * `pnpm bench extraction` prints the same figures.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ExtractionCorpus from "../../src/transform/ExtractionCorpus.ts"

const pages = ExtractionCorpus.loadPages()

describe("extraction corpus: pages", () => {
  for (const page of pages) {
    it.effect(`${page.file.split("/").pop()} (${page.kind}, ${page.set})`, () =>
      Effect.gen(function* () {
        const result = yield* ExtractionCorpus.evaluatePage(page)
        const misses = new Set(page.knownMisses ?? [])
        for (const [field, outcome] of Object.entries(result.fields)) {
          const known = misses.has(field as ExtractionCorpus.Field)
          assert.strictEqual(
            outcome.ok,
            !known,
            known
              ? `${field} is listed as a known miss but came out right (${JSON.stringify(outcome.got)}): update pages.json`
              : `${field}: got ${JSON.stringify(outcome.got)}, expected ${JSON.stringify(page[field as ExtractionCorpus.Field])}`
          )
        }
        assert.deepStrictEqual(result.missing, [], "phrases the text must hold")
        assert.deepStrictEqual(result.unwanted, [], "phrases of the page's chrome that the text must not hold")
        if (page.kind === "reference") {
          assert.isAtLeast(result.mainShare!, 0.9, `kept ${result.mainShare} of the main text (${result.extractor})`)
        }
      })
    )
  }
})

describe("extraction corpus: feeds", () => {
  it.effect(
    "every entry keeps the text, valid date, author, categories and language its XML carries",
    () =>
      Effect.gen(function* () {
        const results = yield* Effect.forEach(ExtractionCorpus.feedFiles(), ExtractionCorpus.evaluateFeed)
        const feeds = results.filter((r) => r.error === undefined)
        // Two documents are refused with a reason: an HTML page, and an Atom feed whose only entry is empty.
        assert.deepStrictEqual(
          results.filter((r) => r.error !== undefined).map((r) => r.file.split("/").pop()),
          ["incomplete-fields.atom", "unrecognized.rss"]
        )
        assert.isAtLeast(feeds.length, 29)
        for (const field of ["text", "published", "author", "categories", "language"] as const) {
          const lost = feeds
            .filter((f) => f[field].kept < f[field].carried)
            .map((f) => `${f.file}: ${JSON.stringify(f[field])}`)
          assert.deepStrictEqual(lost, [], `entries that lost their ${field}`)
        }
        const carried = feeds.reduce((n, f) => n + f.text.carried, 0)
        assert.isAbove(carried, 1000, "the corpus's entries with a text")
        assert.deepStrictEqual(
          feeds.flatMap((f) => f.unparsedDates),
          []
        )
      }),
    // 1,370 entries through the transform: seconds here, more on a loaded machine.
    120_000
  )
})
