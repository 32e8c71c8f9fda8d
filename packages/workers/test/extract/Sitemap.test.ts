import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Sitemap from "../../src/extract/Sitemap.ts"

const utf8 = (s: string) => new TextEncoder().encode(s)

describe("Sitemap", () => {
  it.effect("reads a urlset and a sitemap index, unescaping entities", () =>
    Effect.gen(function* () {
      const urlset = yield* Sitemap.parse(
        utf8(
          `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.test/?x=1&amp;y=2</loc></url><url><loc> https://a.test/b </loc></url></urlset>`
        )
      )
      assert.deepStrictEqual(urlset, { kind: "urlset", locations: ["https://a.test/?x=1&y=2", "https://a.test/b"] })
      const index = yield* Sitemap.parse(
        utf8(`<sitemapindex><sitemap><loc>https://a.test/s1.xml</loc></sitemap></sitemapindex>`)
      )
      assert.strictEqual(index.kind, "sitemapindex")
      const html = yield* Effect.flip(Sitemap.parse(utf8("<html></html>")))
      assert.strictEqual(html.kind, "schema-mismatch")
    })
  )
})
