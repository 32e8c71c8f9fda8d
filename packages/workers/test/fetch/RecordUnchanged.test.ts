/**
 * A fetch that succeeds with nothing new to store supersedes a failure recorded since the last version,
 * so silver does not keep showing the failure until the source changes: `<name>-unchanged@<stamp>.json`,
 * written only when there is a failure to supersede, and never for a document that failed to parse
 * (the same bytes are the same bad document).
 */
import { BronzeReader, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as ItemArtifacts from "../../src/fetch/ItemArtifacts.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const feed = { sourceType: "feed", externalId: "_feed:https://example.org/feed.xml" }
const document = (body: string): ItemArtifacts.FetchedDocument => ({
  url: "https://example.org/feed.xml",
  status: 200,
  headers: { "content-type": "application/rss+xml" },
  redirects: [],
  body: new TextEncoder().encode(body)
})

const names = Effect.map(
  Effect.flatMap(BronzeReader, (reader) => reader.listItem(feed)),
  (infos) => infos.map((i) => i.key.artifactType.split("@")[0]!).sort()
)
const list = Effect.flatMap(BronzeReader, (reader) => reader.listItem(feed))

describe("ItemArtifacts.recordUnchanged", () => {
  it.effect(
    "the same document again after a failure records the success, once; after a parse failure it does not",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const rss = "<rss><channel><title>t</title></channel></rss>"
        yield* ItemArtifacts.putDocument(yield* list, feed, "feed", "xml", document(rss))
        // Nothing failed yet: the same bytes write nothing.
        yield* TestClock.adjust("30 minutes")
        assert.isUndefined(yield* ItemArtifacts.putDocument(yield* list, feed, "feed", "xml", document(rss)))
        assert.deepStrictEqual(yield* names, ["feed", "feed-response"])

        yield* TestClock.adjust("30 minutes")
        yield* ItemArtifacts.recordFailure(feed, {
          artifact: "feed",
          url: feed.externalId,
          reason: "http-status",
          message: "HTTP 503"
        })
        yield* TestClock.adjust("30 minutes")
        yield* ItemArtifacts.putDocument(yield* list, feed, "feed", "xml", document(rss))
        assert.deepStrictEqual(yield* names, ["feed", "feed-response", "feed-unchanged", "fetch-error"])
        // Superseded already: nothing more.
        yield* TestClock.adjust("30 minutes")
        yield* ItemArtifacts.putDocument(yield* list, feed, "feed", "xml", document(rss))
        assert.strictEqual((yield* names).filter((n) => n === "feed-unchanged").length, 1)

        // A document that did not parse: the same bytes again are still that bad document.
        yield* TestClock.adjust("30 minutes")
        yield* ItemArtifacts.recordFailure(feed, {
          artifact: "feed",
          url: feed.externalId,
          reason: "invalid-response",
          message: "not a feed"
        })
        yield* TestClock.adjust("30 minutes")
        assert.isUndefined(yield* ItemArtifacts.recordUnchanged(yield* list, feed, "feed"))
        assert.strictEqual((yield* names).filter((n) => n === "feed-unchanged").length, 1)
      }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
