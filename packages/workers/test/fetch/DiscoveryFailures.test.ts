/**
 * A discovery document that cannot be fetched or parsed is never silent: every built-in source records
 * it in bronze and goes on, and `FetchWorker.runOnce` reports each one with its reason (the fetch daemon
 * logs and counts them from this report). Against the loopback fixture server, through the real client.
 */
import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as HackerNewsSource from "../../src/fetch/HackerNewsSource.ts"
import * as WebSource from "../../src/fetch/WebSource.ts"
import { RobotsTxt } from "../../src/http/RobotsTxt.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")

/** The failures in a stable order (the feeds of one source are fetched concurrently). */
const failuresOf = (report: FetchWorker.FetchRunReport) =>
  report.discoveryFailures.map((f) => [f.externalId, f.artifact, f.reason] as const).sort()

describe("discovery failures", () => {
  it.effect(
    "a feed that does not parse, answers 500, is refused (SSRF) or does not resolve: each reported with its reason",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const server = yield* FixtureServer
        const reader = yield* BronzeReader
        const notAFeed = `${server.url}/articles/v8-blog.html`
        const failing = `${server.url}/fault/status/500/feed.xml`
        const refused = `http://10.0.0.1/feed.xml`
        const unknown = `http://no-such-host.invalid/feed.xml`
        const good = `${server.url}/podcast.xml`
        const report = yield* FetchWorker.runOnce(
          FeedSource.make({
            feeds: [notAFeed, failing, refused, unknown, good],
            fetchArticles: false,
            fetchMedia: false
          }),
          { name: "my-feeds" }
        )
        assert.deepStrictEqual(
          failuresOf(report),
          [
            [FeedSource.feedId(notAFeed), "feed", "invalid-response"],
            [FeedSource.feedId(failing), "feed", "http-status"],
            [FeedSource.feedId(refused), "feed", "address-refused"],
            [FeedSource.feedId(unknown), "feed", "connect"]
          ]
            .map((f) => [f[0]!, f[1]!, f[2]!] as const)
            .sort()
        )
        // The good feed's entries are still fetched.
        assert.strictEqual(report.fetched, 2, JSON.stringify(report.results))
        const byReason = new Map(report.discoveryFailures.map((f) => [f.reason, f.message]))
        assert.match(byReason.get("invalid-response")!, /not a recognizable/)
        assert.strictEqual(byReason.get("http-status"), "HTTP 500: status 500, request 1")
        // The refusal says which setting allows it (here the library default's name).
        assert.include(byReason.get("address-refused"), "not covered by addressPolicy.allow")
        // Each is the failure record in the feed's own folder.
        for (const failure of report.discoveryFailures) {
          const infos = yield* reader.listItem({ sourceType: "feed", externalId: failure.externalId })
          assert.include(
            infos.map((i) => i.location),
            failure.location
          )
        }
      }).pipe(Effect.provide(fetchStack({}, { maxRetries: 0 })))
  )

  it.effect("a Hacker News list that fails and a sitemap that does not parse are reported too", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const hn = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: `${server.url}/fault/status/503` }))
      assert.deepStrictEqual(failuresOf(hn), [[HackerNewsSource.LISTS_ID, "topstories", "http-status"]])
      const sitemap = `${server.url}/articles/dev418.html`
      const web = yield* FetchWorker.runOnce(WebSource.make({ sitemaps: [sitemap] }))
      assert.deepStrictEqual(failuresOf(web), [[WebSource.sitemapId(sitemap), "sitemap", "invalid-response"]])
      // A failed item is not a discovery failure: it is the item's own.
      const items = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url, maxItems: 1 }))
      assert.deepStrictEqual(
        items.results.map((r) => [r.externalId, r.outcome]),
        [["900404", "failed"]]
      )
      assert.deepStrictEqual(items.discoveryFailures, [])
    }).pipe(
      Effect.provide(
        Layer.provideMerge(
          RobotsTxt.layer(),
          fetchStack({ hnRaw: { 900404: "{ not json" }, topStories: [900404] }, { maxRetries: 0 })
        )
      )
    )
  )
})
