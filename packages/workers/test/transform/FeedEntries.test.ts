/**
 * Feed entries from the fixture server through the fetch side's own code into bronze and back out of the
 * transform: two feeds that reuse a guid stay two items, and entry folders an earlier version stored under
 * the bare guid keep working (no second folder, nothing fetched twice, their text recovered from the feed
 * document they name).
 */
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as FeedEntryId from "../../src/fetch/FeedEntryId.ts"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { transformItem } from "../../src/transform/Transform.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const GUID = "https://www.narro.co/article/54e703933058540300000069"
const NARRO_TEXT =
  "Listen to your reading list anywhere. Narro will take your bookmarked articles and read them back to you as a podcast.\nhttp://www.narro.co/faq"
const noDownloads = { fetchArticles: false, fetchMedia: false } as const

/** `transform_unparsed_dates_total{source="feed"}`, as `/metrics` shows it. */
const unparsedDates = Effect.map(Metric.snapshot, (all) =>
  all
    .filter((m) => m.id === "transform_unparsed_dates_total" && m.attributes?.["source"] === "feed")
    .reduce((n, m) => n + Number((m.state as { count: number | bigint }).count), 0)
)
/** Names outside the fixture server do not resolve: the tests never reach the internet. */
const offline = (host: string) => Promise.reject(Object.assign(new Error(`offline: ${host}`), { code: "ENOTFOUND" }))

describe("feed entries", () => {
  it.effect("two feeds that use the same guid are two items, each with the entry's own text", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      // The same document at two addresses: two feeds whose one entry has the same guid.
      const a = `${server.url}/feeds/narro.rss?edition=a`
      const b = `${server.url}/feeds/narro.rss?edition=b`
      const report = yield* FetchWorker.runOnce(FeedSource.make({ feeds: [a, b], ...noDownloads }))
      assert.deepStrictEqual(
        report.results.map((r) => [r.externalId, r.outcome]),
        [
          [FeedEntryId.entryId(a, GUID), "fetched"],
          [FeedEntryId.entryId(b, GUID), "fetched"]
        ]
      )
      for (const feedUrl of [a, b]) {
        const rows = yield* transformItem({ sourceType: "feed", externalId: FeedEntryId.entryId(feedUrl, GUID) })
        assert.strictEqual(rows.outcome, "transformed", rows.reason)
        const item = rows.item!
        assert.strictEqual(item.title, "FAQ for Narro")
        assert.strictEqual(item.bodyText, NARRO_TEXT)
        assert.strictEqual(item.extractor, "feed-summary")
        assert.strictEqual(item.author, "foobar@gmail.com")
        assert.strictEqual(item.language, "en")
        assert.strictEqual(item.siteName, "foobar on Narro")
        const feed = yield* transformItem({ sourceType: "feed", externalId: FeedSource.feedId(feedUrl) })
        assert.deepStrictEqual(
          feed.discovered.map((d) => d.externalId),
          [FeedEntryId.entryId(feedUrl, GUID)]
        )
      }
    }).pipe(Effect.provide(fetchStack()))
  )

  it.effect(
    "an entry folder stored under the bare guid stays its feed's item: nothing refetched, its text recovered",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const server = yield* FixtureServer
        const writer = yield* BronzeWriter
        const reader = yield* BronzeReader
        const a = `${server.url}/feeds/narro.rss?edition=a`
        const b = `${server.url}/feeds/narro.rss?edition=b`
        // What an earlier version left: feed A's document, and its entry under the bare guid with the
        // record of that time (no text, no authors) and the article it fetched.
        const document = yield* writer.put(
          { sourceType: "feed", externalId: FeedSource.feedId(a), artifactType: "feed", ext: "xml" },
          served("feeds/narro.rss")
        )
        const legacy = { sourceType: "feed", externalId: GUID }
        const oldRecord = {
          feedUrl: a,
          feedArtifact: document.location,
          guid: GUID,
          guidSource: "guid",
          title: "FAQ for Narro",
          link: GUID,
          published: "Fri, 20 Feb 2015 09:51:15 UTC",
          enclosures: []
        }
        yield* writer.put(
          { ...legacy, artifactType: "entry", ext: "json" },
          new TextEncoder().encode(JSON.stringify(oldRecord))
        )
        yield* writer.put({ ...legacy, artifactType: "article", ext: "html" }, served("html/dev418.html"))
        // An article is stored with its response record (one without it is a fetch a crash cut short).
        yield* writer.put(
          { ...legacy, artifactType: "article-response", ext: "json" },
          new TextEncoder().encode(
            JSON.stringify({ url: GUID, status: 200, headers: { "content-type": "text/html" }, redirects: [] })
          )
        )

        const report = yield* FetchWorker.runOnce(FeedSource.make({ feeds: [a, b], fetchMedia: false }))
        // Feed A's entry is the old folder, already complete; feed B's, which only shared the guid, is new.
        assert.deepStrictEqual(
          report.results.map((r) => [r.externalId, r.outcome]),
          [
            [GUID, "skipped"],
            [FeedEntryId.entryId(b, GUID), "failed"]
          ]
        )
        assert.deepStrictEqual(
          yield* reader.listItem({ sourceType: "feed", externalId: FeedEntryId.entryId(a, GUID) }),
          []
        )
        assert.strictEqual(server.hits("/articles/dev418.html"), 0)

        const feed = yield* transformItem({ sourceType: "feed", externalId: FeedSource.feedId(a) })
        assert.deepStrictEqual(
          feed.discovered.map((d) => d.externalId),
          [GUID]
        )
        const rows = yield* transformItem(legacy)
        const item = rows.item!
        // The old record had no text: the transform read it from the feed document the record names. The
        // article is more than twice as long as that description, so the article is the body.
        assert.strictEqual(item.secondaryText, NARRO_TEXT)
        assert.strictEqual(item.extractor, "readability")
        assert.match(item.bodyText!, /^Lorem ipsum dolor sit amet/)
        assert.strictEqual(item.author, "foobar@gmail.com")
        assert.strictEqual(item.siteName, "foobar on Narro")
        assert.include(
          item.artifacts.map((x) => x.location),
          document.location
        )
      }).pipe(Effect.provide(fetchStack({}, { resolve: offline })))
  )

  it.effect("a published date that cannot be parsed is kept as written, never dropped in silence", () =>
    Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const item = { sourceType: "feed", externalId: "https://feeds.example/rss 1" }
      const record = {
        feedUrl: "https://feeds.example/rss",
        guid: "1",
        title: "One",
        published: "the 5th of never",
        authors: []
      }
      yield* writer.put(
        { ...item, artifactType: "entry", ext: "json" },
        new TextEncoder().encode(JSON.stringify(record))
      )
      const before = yield* unparsedDates
      const rows = yield* transformItem(item)
      assert.strictEqual(rows.outcome, "transformed", rows.reason)
      assert.isNull(rows.item!.publishedAt)
      assert.strictEqual(rows.item!.publishedUnparsed, "the 5th of never")
      assert.strictEqual((yield* unparsedDates) - before, 1)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
