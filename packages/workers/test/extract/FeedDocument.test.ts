import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FeedDocument from "../../src/extract/FeedDocument.ts"
import { served, testFixture } from "../support/Fixtures.ts"

describe("FeedDocument", () => {
  it.effect("parses a podcast feed with 730 enclosures", () =>
    Effect.gen(function* () {
      const feed = yield* FeedDocument.parse(testFixture("extract-feeds/giantbomb-podcast.rss"))
      assert.strictEqual(feed.format, "rss")
      assert.strictEqual(feed.entries.length, 730)
      assert.isTrue(feed.entries.every((e) => e.enclosures.length > 0 && e.guidSource === "guid"))
      assert.strictEqual(new Set(feed.entries.map((e) => e.guid)).size, 730)
    })
  )

  it.effect("parses Atom, RDF and RSS 2.0, resolving relative links", () =>
    Effect.gen(function* () {
      const atom = yield* FeedDocument.parse(testFixture("extract-feeds/gulp-atom.atom"), {
        baseUrl: "https://github.com/gulpjs/gulp/releases.atom"
      })
      assert.strictEqual(atom.format, "atom")
      assert.strictEqual(atom.entries[0]!.link, "https://github.com/gulpjs/gulp/releases/tag/v3.9.0")
      assert.strictEqual(atom.entries[0]!.guid, "tag:github.com,2008:Repository/11167738/v3.9.0")
      const rdf = yield* FeedDocument.parse(testFixture("extract-feeds/rss-1.rss"))
      assert.strictEqual(rdf.format, "rdf")
      assert.strictEqual(rdf.entries.length, 69)
      // RDF items have no guid: the link is the identity.
      assert.strictEqual(rdf.entries[0]!.guidSource, "link")
      const heise = yield* FeedDocument.parse(served("feeds/heise.atom"))
      assert.strictEqual(heise.entries.length, 15)
      const herald = yield* FeedDocument.parse(served("feeds/heraldsun.rss"))
      assert.deepStrictEqual(herald.entries[0]!.enclosures[0], {
        url: "http://www.oreilly.com/001.mp3",
        type: "audio/mpeg",
        length: 54321
      })
    })
  )

  it.effect("decodes the charset the feed declares, or detects it when it declares none", () =>
    Effect.gen(function* () {
      const declared = yield* FeedDocument.parse(testFixture("extract-feeds/encoding.rss"))
      assert.strictEqual(declared.entries[0]!.title, "Mãe de utente é a nova presidente da Raríssimas")
      const undeclared = yield* FeedDocument.parse(testFixture("transform/feeds/uolNoticias.rss"))
      assert.strictEqual(undeclared.charset, "windows-1252")
      assert.strictEqual(undeclared.entries.length, 15)
      assert.match(undeclared.entries[0]!.title!, /^Ibope: Bolsonaro perde de Haddad/)
    })
  )

  it.effect("gives typed reasons for what is not a feed, and never dies on broken input", () =>
    Effect.gen(function* () {
      const html = yield* Effect.flip(FeedDocument.parse(testFixture("transform/feeds/unrecognized.rss")))
      assert.strictEqual(html.kind, "not-a-feed")
      const empty = yield* Effect.flip(FeedDocument.parse(new Uint8Array()))
      assert.strictEqual(empty.kind, "empty")
      // An Atom feed whose one entry holds nothing but an empty author: a feed, with nothing to fetch.
      const incomplete = yield* FeedDocument.parse(testFixture("extract-feeds/incomplete-fields.atom"))
      assert.strictEqual(incomplete.format, "atom")
      assert.isTrue(incomplete.entries.every((e) => e.guid.length > 0))
      const bytes = testFixture("extract-feeds/giantbomb-podcast.rss")
      const truncated = yield* Effect.result(FeedDocument.parse(bytes.subarray(0, bytes.length / 2)))
      assert.isTrue(truncated._tag === "Success" || truncated.failure._tag === "ExtractError")
    })
  )

  it.effect("handles a feed with 5,000 entries, and entries without any id", () =>
    Effect.gen(function* () {
      const items = Array.from(
        { length: 5000 },
        (_, i) => `<item><title>Entry ${i}</title><description>Body ${i}</description></item>`
      )
      const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>${items.join("")}</channel></rss>`
      const feed = yield* FeedDocument.parse(new TextEncoder().encode(xml))
      assert.strictEqual(feed.entries.length, 5000)
      assert.strictEqual(feed.entries[0]!.guidSource, "hash")
      assert.strictEqual(new Set(feed.entries.map((e) => e.guid)).size, 5000)
    })
  )

  it.effect("keeps every field an entry carries: its content and description, authors, categories, language", () =>
    Effect.gen(function* () {
      const medium = yield* FeedDocument.parse(testFixture("extract-feeds/content-encoded.rss"))
      const first = medium.entries[0]!
      assert.strictEqual(first.content?.type, "html")
      assert.match(FeedDocument.textOf(first.content)!, /^Using Wild Ingredients in the\sKitchen\n\nHEY, YOU!/)
      assert.deepStrictEqual(first.authors, ["Jeremy Puma"])
      assert.deepStrictEqual(first.categories, ["plants", "environment", "nature", "foraging", "food"])
      // Atom: a feed-level author covers entries without one; links keep their target in the text.
      const blogger = yield* FeedDocument.parse(testFixture("corpus/feeds/feedburner.atom"))
      assert.deepStrictEqual(blogger.entries[0]!.authors, ["Google Ads Developer Advisor"])
      assert.include(
        FeedDocument.textOf(blogger.entries[0]!.content)!,
        "Google Ads API Java Client Library [https://github.com/googleads/googleads-java-lib]"
      )
      // The language: the entry's own (dc:language), else the feed's.
      const craigslist = yield* FeedDocument.parse(served("feeds/craigslist.rss"))
      assert.strictEqual(craigslist.entries[0]!.language, "en-us")
      const guardian = yield* FeedDocument.parse(testFixture("corpus/feeds/guardian.rss"))
      assert.strictEqual(guardian.language, "en-gb")
      assert.deepStrictEqual(guardian.entries[0]!.authors, ["David Smith in Washington"])
      assert.strictEqual(guardian.title, "The Guardian")
      // YouTube's Atom feeds carry an entry's text only in media:description.
      const youtube = yield* FeedDocument.parse(testFixture("corpus/feeds/atom-customfields.atom"))
      assert.match(FeedDocument.textOf(youtube.entries[0]!.summary)!, /^Scott's Book "The Four"/)
      // Titles with markup or entities are text.
      assert.strictEqual(
        craigslist.entries[0]!.title,
        "Bright, Spacious Beautiful Victorian (oakland north / temescal) $4300 3bd 1930ft2"
      )
    })
  )

  it.effect("an enclosure written with its URL as text (not in `url`) is an enclosure too", () =>
    Effect.gen(function* () {
      const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><guid>a</guid><title>A</title><enclosure>https://cdn.example/a.mp3</enclosure></item>
        <item><guid>b</guid><title>B</title><enclosure url="https://cdn.example/b.mp3" type="audio/mpeg"/></item>
        <item><guid>c</guid><title>C</title><enclosure type="audio/ogg" length="12"> /c.ogg </enclosure></item>
      </channel></rss>`
      const feed = yield* FeedDocument.parse(new TextEncoder().encode(xml), { baseUrl: "https://cdn.example/feed" })
      assert.deepStrictEqual(
        feed.entries.map((e) => e.enclosures),
        [
          [{ url: "https://cdn.example/a.mp3", type: undefined, length: undefined }],
          [{ url: "https://cdn.example/b.mp3", type: "audio/mpeg", length: undefined }],
          [{ url: "https://cdn.example/c.ogg", type: "audio/ogg", length: 12 }]
        ]
      )
    })
  )
})
