import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as HtmlArticle from "../../src/extract/HtmlArticle.ts"
import { articleNames } from "../../src/testing/FixtureServer.ts"
import { served } from "../support/Fixtures.ts"
import { expectedMetadata } from "../transform/Fixtures.ts"

const norm = (s: string | null | undefined) => (s ?? undefined)?.replace(/\s+/g, " ").trim()

describe("HtmlArticle", () => {
  for (const name of articleNames) {
    it.effect(`extracts ${name} as a reader names it`, () =>
      Effect.gen(function* () {
        const expected = expectedMetadata(name)
        const article = yield* HtmlArticle.extract(served(`html/${name}.html`))
        assert.isTrue(article.readable)
        if (!expected.misses?.includes("title")) assert.strictEqual(article.title, norm(expected.title))
        assert.strictEqual(article.byline, norm(expected.byline))
        if (expected.lang) assert.strictEqual(article.lang, expected.lang)
        assert.isAbove(article.text.length, 200)
        // Markup is gone (code samples may still show a literal "<").
        assert.notMatch(article.text, /<\/(p|div|span|li)>/i)
      })
    )
  }

  it.effect("takes a heading that links home, or stands in the page's banner, as the site's name", () =>
    Effect.gen(function* () {
      const body = `<p>${"The page's own text, long enough to be an article. ".repeat(30)}</p>`
      const page = (head: string, banner: string) =>
        HtmlArticle.extractFromString(
          `<html><head><title>${head}</title></head><body>${banner}<main><h2>Path</h2>${body}</main></body></html>`
        )
      const logo = yield* page("Path | Docs v1", `<div><h1><a href="/">Docs v1</a></h1></div>`)
      assert.strictEqual(logo.title, "Path")
      const banner = yield* page("Path | Docs v1", `<header><h1>Docs v1</h1></header>`)
      assert.strictEqual(banner.title, "Path")
      // The same heading in the article is the page's own: the title stays whole (its rest is no site name).
      const inArticle = yield* page("Path | Docs v1", `<article><header><h1>Docs v1</h1></header></article>`)
      assert.strictEqual(inArticle.title, "Docs v1")
    })
  )

  it.effect("gives typed reasons for an empty page, an oversized page and a page without text", () =>
    Effect.gen(function* () {
      const empty = yield* Effect.flip(HtmlArticle.extract(new Uint8Array()))
      assert.strictEqual(empty.kind, "empty")
      const huge = yield* Effect.flip(HtmlArticle.extract(new Uint8Array(11 * 1024 * 1024).fill(97)))
      assert.strictEqual(huge.kind, "too-large")
      const blank = yield* Effect.flip(
        HtmlArticle.extract(new TextEncoder().encode("<html><head><title></title></head><body> </body></html>"))
      )
      assert.strictEqual(blank.kind, "no-content")
    })
  )

  it.effect("extracts what it can from a truncated page", () =>
    Effect.gen(function* () {
      const bytes = served("html/v8-blog.html")
      const article = yield* HtmlArticle.extract(bytes.subarray(0, Math.floor(bytes.length / 2)))
      assert.isAbove(article.text.length, 0)
    })
  )
})
