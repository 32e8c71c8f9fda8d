/**
 * The fetch side's own code writes bronze from the loopback fixture server (real captured HN items and
 * article pages); the transform reads back exactly what it wrote.
 */
import { assert, describe, it } from "@effect/vitest"
import { BronzeReader } from "@medallion/bronze"
import { ItemRepo } from "@medallion/silver"
import { DateTime, Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Enricher } from "../../src/fetch/Enricher.ts"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import { Transcriber } from "../../src/fetch/Transcriber.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as HackerNewsSource from "../../src/fetch/HackerNewsSource.ts"
import { FetchHttp } from "../../src/http/FetchHttp.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { transformItem } from "../../src/transform/Transform.ts"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"
import { episode as podcastEpisode } from "../support/Podcast.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const now = NOW / 1000

const story = {
  by: "pg",
  descendants: 4,
  id: 900001,
  kids: [900002, 900003, 900004],
  score: 10,
  time: now - 3600,
  title: "A story fetched by the tests",
  type: "story",
  url: "{{base}}/articles/tumblr.html"
}
const broken = {
  by: "x",
  id: 900006,
  time: now - 3600,
  title: "Broken link",
  type: "story",
  url: "{{base}}/fault/status/500/article"
}
// The comment shapes the HN API documents: a reply, a deleted and a dead comment.
const comments = {
  900002: {
    by: "a",
    id: 900002,
    kids: [900005],
    parent: 900001,
    text: "first &amp; <i>foremost</i>",
    time: now - 3000,
    type: "comment"
  },
  900003: { deleted: true, id: 900003, parent: 900001, time: now - 2400, type: "comment" },
  900004: { by: "b", dead: true, id: 900004, parent: 900001, text: "[dead]", time: now - 1800, type: "comment" },
  900005: { by: "c", id: 900005, parent: 900002, text: "reply", time: now - 1200, type: "comment" }
}

describe("fetch side -> bronze -> transform", () => {
  it.effect("Hacker News: lists, stories, comment trees, linked articles and a failed fetch", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const report = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url, maxItems: 10 }))
      assert.strictEqual(report.discovered, 3)

      const lists = yield* transformItem({ sourceType: "hn", externalId: "_lists" })
      assert.isUndefined(lists.item)
      assert.deepStrictEqual(
        lists.discovered.map((d) => d.externalId),
        ["121003", "900001", "900006"]
      )

      const fetched = yield* transformItem({ sourceType: "hn", externalId: "900001" })
      assert.strictEqual(fetched.outcome, "transformed", fetched.reason)
      const item = fetched.item!
      assert.strictEqual(item.title, "A story fetched by the tests")
      assert.strictEqual(item.fetchStatus, "fetched")
      const tumblr = JSON.parse(new TextDecoder().decode(served("html/tumblr.expected-metadata.json"))) as {
        lang: string
      }
      assert.strictEqual(item.language, tumblr.lang)
      assert.isAbove(item.bodyText!.length, 100)
      // Thread order: a reply follows its parent.
      assert.deepStrictEqual(
        item.comments!.map((c) => [c.externalId, c.parentExternalId, c.deleted, c.bodyText]),
        [
          ["900002", null, false, "first & foremost"],
          ["900005", "900002", false, "reply"],
          ["900003", null, true, null],
          ["900004", null, true, null]
        ]
      )
      assert.includeMembers(
        item.artifacts.map((a) => a.artifactType.split("@")[0]),
        ["item", "comments", "article", "article-response"]
      )

      const real = (yield* transformItem({ sourceType: "hn", externalId: "121003" })).item!
      assert.strictEqual(real.author, "tel")
      assert.strictEqual(real.transformStatus, "transformed")

      const failed = (yield* transformItem({ sourceType: "hn", externalId: "900006" })).item!
      assert.strictEqual(failed.title, "Broken link")
      assert.strictEqual(failed.fetchStatus, "failed")
      assert.match(failed.fetchError!, /^article: .*500/)
    }).pipe(
      Effect.provide(
        fetchStack({ hnItems: { 900001: story, 900006: broken, ...comments }, topStories: [121003, 900001, 900006] })
      )
    )
  )

  it.effect("a podcast feed: its entries, the audio, the transcript and the summary the fetch side stored", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const feedUrl = `${server.url}/podcast.xml`
      const report = yield* FetchWorker.runOnce(FeedSource.make({ feeds: [feedUrl], fetchArticles: false }))
      assert.strictEqual(report.failed, 0, JSON.stringify(report.results))
      const episode = yield* podcastEpisode("fixture-podcast-jfk-mp3")
      yield* (yield* Transcriber).transcribe(episode)
      yield* (yield* Enricher).enrich(episode)

      const feed = yield* transformItem({ sourceType: "feed", externalId: FeedSource.feedId(feedUrl) })
      assert.strictEqual(feed.outcome, "transformed", feed.reason)
      assert.isUndefined(feed.item)
      assert.includeMembers(
        feed.discovered.map((d) => d.externalId),
        [episode.externalId]
      )

      const rows = yield* transformItem(episode)
      assert.strictEqual(rows.outcome, "transformed", rows.reason)
      const item = rows.item!
      const whisper = JSON.parse(new TextDecoder().decode(served("whisper/openai-whisper_commit1caba7d_jfk.json"))) as {
        text: string
        segments: ReadonlyArray<{ start: number; end: number; text: string }>
      }
      assert.deepStrictEqual([item.fetchStatus, item.transcriptionStatus], ["fetched", "transcribed"])
      assert.strictEqual(item.bodyText, whisper.text.trim())
      assert.deepStrictEqual(
        item.segments!.map((s) => [s.startSeconds, s.endSeconds, s.text]),
        whisper.segments.map((s) => [s.start, s.end, s.text.trim()])
      )
      assert.deepStrictEqual(
        item.media!.map((m) => [m.kind, m.artifact?.artifactType]),
        [["audio", "audio"]]
      )
      assert.strictEqual(item.enrichments!.length, 1)
      assert.isAbove(item.enrichments![0]!.summaryText.length, 0)
      assert.strictEqual(item.title, "Inaugural address excerpt (MP3)")
      // Everything the entry carries: its author, category, feed, date, and the show notes beside the transcript.
      assert.strictEqual(item.author, "John F. Kennedy")
      assert.deepStrictEqual(item.categories, ["History"])
      assert.strictEqual(item.siteName, "Medallion fixture podcast")
      assert.strictEqual(DateTime.formatIso(item.publishedAt!), "1961-01-20T17:05:00.000Z")
      assert.strictEqual(item.extractor, "transcript")
      assert.strictEqual(
        item.secondaryText,
        "Show notes: the closing lines of the inaugural address, read from the National Archives [https://www.archives.gov/] recording."
      )
      // The language is the one Whisper detected in the audio, on the item and on its segments.
      assert.strictEqual(item.language, "en")
      assert.deepStrictEqual(
        item.segments!.map((s) => s.language),
        ["en"]
      )
    }).pipe(
      Effect.provide(
        Layer.provideMerge(
          Layer.unwrap(
            Effect.map(Effect.service(FixtureServer), (server) =>
              Layer.mergeAll(
                Enricher.layer({ enabled: true, endpoint: server.url, maxItemsPerDay: 5 }),
                Transcriber.layer({ endpoint: server.url })
              )
            )
          ),
          fetchStack()
        )
      )
    )
  )

  it.effect("a transcription the API refused: failed in silver with the server's message, once", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      yield* FetchWorker.runOnce(FeedSource.make({ feeds: [`${server.url}/podcast.xml`], fetchArticles: false }))
      const episode = yield* podcastEpisode("fixture-podcast-jfk-wav")
      const result = yield* (yield* Transcriber).transcribe(episode)
      assert.deepStrictEqual([result.outcome, result.reason], ["failed", "HTTP 401: Incorrect API key provided"])
      const item = (yield* transformItem(episode)).item!
      assert.strictEqual(item.transcriptionStatus, "failed")
      assert.match(
        item.transcriptionError!,
        new RegExp(
          `^transcript: http-status: HTTP 401: Incorrect API key provided \\(${server.url}/v1/audio/transcriptions\\) \\[fetch-error@`
        )
      )
    }).pipe(
      Effect.provide(
        Layer.provideMerge(
          Layer.unwrap(
            Effect.map(Effect.service(FixtureServer), (server) =>
              Transcriber.layer({ endpoint: server.url, apiKey: Option.some(Redacted.make("a-wrong-key")) })
            )
          ),
          fetchStack({ apiKey: "the-right-key" })
        )
      )
    )
  )

  it.effect("a discovery that fails is a failed row of its folder; the next success supersedes it, also a 304", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const feedUrl = `${server.url}/podcast.xml`
      const podcast = FeedSource.make({ feeds: [feedUrl], fetchArticles: false, fetchMedia: false })
      const hn = HackerNewsSource.make({ baseUrl: server.url, maxItems: 1, fetchArticles: false })
      const folders = [
        { sourceType: "feed", externalId: FeedSource.feedId(feedUrl) },
        { sourceType: "hn", externalId: HackerNewsSource.LISTS_ID }
      ] as const
      // The same sources through a client that refuses loopback: their discovery fails.
      const refusing = FetchHttp.layer({ maxRetries: 0, addressPolicy: { allow: [], setting: "http.allowNetworks" } })
      const poll = Effect.gen(function* () {
        yield* TestClock.adjust("1 hour")
        yield* FetchWorker.runOnce(podcast)
        yield* FetchWorker.runOnce(hn)
        return yield* Effect.forEach(folders, transformItem)
      })

      const first = yield* poll
      for (const rows of first) {
        assert.strictEqual(rows.outcome, "transformed", rows.reason)
        assert.isUndefined(rows.item, `${rows.key.externalId}: a folder that discovers is no item`)
      }
      const failed = yield* Effect.provide(poll, refusing)
      for (const rows of failed) {
        // The run does not fail: the folder is a row whose fetch failed, with the refusal's reason.
        assert.strictEqual(rows.outcome, "transformed", rows.reason)
        assert.deepStrictEqual([rows.item?.fetchStatus, rows.item?.transformStatus], ["failed", "transformed"])
        assert.include(rows.item!.fetchError!, "address-refused: refused to connect to 127.0.0.1")
        assert.include(rows.item!.fetchError!, "not covered by http.allowNetworks")
        // Its discovered items are still those of the last stored document.
        assert.isAbove(rows.discovered.length, 0)
      }
      // The feed answers 304 (conditional), the list the same bytes: nothing new to store, yet the
      // success is recorded, so the failure is superseded.
      const recovered = yield* poll
      assert.strictEqual(server.requests().filter((r) => r.path === "/podcast.xml").length, 2)
      for (const rows of recovered) {
        assert.strictEqual(rows.outcome, "transformed", rows.reason)
        assert.isUndefined(rows.item)
        assert.deepStrictEqual([rows.ifKnown?.fetchStatus, rows.ifKnown?.fetchError], ["fetched", null])
      }
      const reader = yield* BronzeReader
      const records = (folder: (typeof folders)[number]) =>
        Effect.map(reader.listItem(folder), (infos) =>
          infos.map((i) => i.key.artifactType.split("@")[0]).filter((name) => name !== "feed-response")
        )
      assert.sameMembers(yield* records(folders[0]), ["feed", "fetch-error", "feed-unchanged", "selected"])
      assert.sameMembers(yield* records(folders[1]), ["topstories", "fetch-error", "topstories-unchanged", "selected"])
      // Another success with nothing to supersede writes nothing more.
      yield* poll
      assert.sameMembers(yield* records(folders[0]), ["feed", "fetch-error", "feed-unchanged", "selected"])
    }).pipe(Effect.provide(fetchStack()))
  )

  it.effect(
    "items listed beyond the source's limit are skipped with the reason, and pending again once it is raised",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const server = yield* FixtureServer
        const repo = yield* ItemRepo
        const lists = { sourceType: "hn", externalId: HackerNewsSource.LISTS_ID }
        const state = (externalId: string) =>
          Effect.map(repo.get({ sourceType: "hn", externalId }), (d) => {
            const item = Option.getOrThrow(d).item
            return [item.fetchStatus, item.fetchError] as const
          })
        const discoverWith = (maxItems: number) =>
          Effect.gen(function* () {
            yield* TestClock.adjust("1 hour")
            const report = yield* FetchWorker.runOnce(
              HackerNewsSource.make({ baseUrl: server.url, maxItems, fetchArticles: false })
            )
            // Only the list folder is transformed: its items are known from it alone.
            const written = yield* TransformJob.runBatch([lists])
            assert.deepStrictEqual(written.failures, [])
            return report
          })

        const first = yield* discoverWith(1)
        assert.deepStrictEqual(
          first.results.map((r) => r.externalId),
          ["121003"]
        )
        assert.deepStrictEqual(yield* state("121003"), ["pending", null])
        for (const id of ["900001", "900006"]) {
          const [status, reason] = yield* state(id)
          assert.strictEqual(status, "skipped", id)
          assert.match(
            reason!,
            /^listed, but beyond the source's limit of 1 item\(s\) \(maxItems\) \[selected\.json\]$/
          )
        }
        // The operator raises maxItems: the same rows move on, to pending, then fetched as usual.
        yield* discoverWith(3)
        for (const id of ["900001", "900006"]) assert.deepStrictEqual(yield* state(id), ["pending", null], id)
        yield* TransformJob.runBatch([{ sourceType: "hn", externalId: "900001" }])
        assert.strictEqual((yield* state("900001"))[0], "fetched")
      }).pipe(
        Effect.provide(
          Layer.merge(
            fetchStack({ hnItems: { 900001: story, 900006: broken }, topStories: [121003, 900001, 900006] }),
            ItemRepo.layerTest
          )
        )
      )
  )

  it.effect("an article not fetched while fetchArticles was off is fetched once it is on, and the row moves on", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const item = { sourceType: "hn", externalId: "900001" }
      const run = (fetchArticles: boolean) =>
        Effect.gen(function* () {
          yield* TestClock.adjust("1 hour")
          yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url, maxItems: 1, fetchArticles }))
          return (yield* transformItem(item)).item!
        })
      const without = yield* run(false)
      assert.deepStrictEqual(
        [without.fetchStatus, without.transformStatus, without.bodyText],
        ["fetched", "transformed", null]
      )
      const withArticle = yield* run(true)
      assert.strictEqual(server.hits("/articles/tumblr.html"), 1)
      assert.strictEqual(withArticle.fetchStatus, "fetched")
      assert.isAbove(withArticle.bodyText?.length ?? 0, 100)
    }).pipe(Effect.provide(fetchStack({ hnItems: { 900001: story, ...comments }, topStories: [900001] })))
  )
})
