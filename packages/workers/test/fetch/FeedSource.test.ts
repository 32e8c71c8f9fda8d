import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"
import { episode } from "../support/Podcast.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("FeedSource", () => {
  it.effect("ingests a podcast feed: the document, entry records, the article and the audio streamed to bronze", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const feedUrl = `${server.url}/podcast.xml`
      const source = FeedSource.make({ feeds: [feedUrl] })
      const report = yield* FetchWorker.runOnce(source)
      const wavItem = yield* episode("fixture-podcast-jfk-wav")
      const mp3Item = yield* episode("fixture-podcast-jfk-mp3")
      assert.deepStrictEqual(
        report.results.map((r) => [r.externalId, r.outcome]),
        [
          [`${feedUrl} fixture-podcast-jfk-wav`, "fetched"],
          [`${feedUrl} fixture-podcast-jfk-mp3`, "fetched"]
        ]
      )
      const feedFiles = (yield* reader.listItem({ sourceType: "feed", externalId: FeedSource.feedId(feedUrl) })).map(
        (i) => `${i.key.artifactType}.${i.key.ext}`
      )
      assert.deepStrictEqual(feedFiles, ["feed-response.json", "feed.xml", "selected.json"])

      const wav = (yield* reader.listItem(wavItem)).map((i) => `${i.key.artifactType}.${i.key.ext}`)
      assert.deepStrictEqual(wav, ["article-response.json", "article.html", "audio.wav", "entry.json"])
      const audio = yield* reader.get({ ...wavItem, artifactType: "audio", ext: "wav" })
      assert.deepStrictEqual(audio, served("whisper/jfk.wav"))
      const mp3 = yield* reader.get({ ...mp3Item, artifactType: "audio", ext: "mp3" })
      assert.deepStrictEqual(mp3, served("whisper/jfk.mp3"))
      const entry = JSON.parse(text(yield* reader.get({ ...mp3Item, artifactType: "entry", ext: "json" })))
      assert.strictEqual(entry.feedUrl, feedUrl)
      assert.match(entry.feedArtifact, /^feed\/.+\/feed\.xml$/)
      assert.strictEqual(entry.guidSource, "guid")
      // Every field the entry carries, its text as the feed gives it (HTML), and the feed's title and language.
      assert.deepStrictEqual(
        [entry.feedTitle, entry.feedLanguage, entry.authors, entry.categories, entry.summary.type],
        ["Medallion fixture podcast", "en-us", ["John F. Kennedy"], ["History"], "html"]
      )
      assert.match(entry.summary.value, /^<p>Show notes: /)

      // The next poll is conditional: the server answers 304 and nothing new is written.
      yield* TestClock.adjust(Duration.minutes(30))
      const again = yield* FetchWorker.runOnce(source)
      assert.strictEqual(again.skipped, 2)
      const lastFeedRequest = server
        .requests()
        .filter((r) => r.path === "/podcast.xml")
        .at(-1)!
      assert.isString(lastFeedRequest.headers["if-none-match"])
      assert.strictEqual(
        (yield* reader.listItem({ sourceType: "feed", externalId: FeedSource.feedId(feedUrl) })).length,
        3
      )
    }).pipe(Effect.provide(fetchStack()))
  )

  it.effect(
    "reads real feeds in their declared charset; a broken feed or enclosure is recorded and the batch goes on",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const server = yield* FixtureServer
        const reader = yield* BronzeReader
        const notAFeed = `${server.url}/articles/dev418.html`
        const report = yield* FetchWorker.runOnce(
          FeedSource.make({
            feeds: [`${server.url}/feeds/heise.atom`, notAFeed, `${server.url}/feeds/heraldsun.rss`],
            fetchArticles: false
          })
        )
        // heise.atom: 15 entries without enclosures; heraldsun.rss: 2 entries whose enclosures point to the internet.
        assert.strictEqual(report.discovered, 17)
        assert.strictEqual(report.fetched, 15)
        assert.strictEqual(report.failed, 2)
        const broken = yield* reader.listItem({ sourceType: "feed", externalId: FeedSource.feedId(notAFeed) })
        const record = JSON.parse(
          text(yield* reader.get(broken.find((i) => i.key.artifactType.startsWith("fetch-error@"))!.key))
        )
        assert.strictEqual(record.reason, "invalid-response")
        assert.match(record.message, /not a recognizable/)
        const herald = yield* reader.listItem({
          sourceType: "feed",
          externalId: `${server.url}/feeds/heraldsun.rss http://www.oreilly.com/example/001.html`
        })
        const audioFailure = JSON.parse(
          text(yield* reader.get(herald.find((i) => i.key.artifactType.startsWith("fetch-error@"))!.key))
        )
        assert.strictEqual(audioFailure.artifact, "audio")
        assert.strictEqual(audioFailure.url, "http://www.oreilly.com/001.mp3")
      }).pipe(
        Effect.provide(
          fetchStack(
            {},
            { resolve: (host) => Promise.reject(Object.assign(new Error(`offline: ${host}`), { code: "ENOTFOUND" })) }
          )
        )
      )
  )
})
