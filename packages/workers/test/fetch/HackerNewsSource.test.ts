import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import * as HnItem from "../../src/extract/HnItem.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as HackerNewsSource from "../../src/fetch/HackerNewsSource.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const HOUR = 3600
const now = NOW / 1000

// A fresh story (so its comments are refetched) with a small tree: a live comment with a reply,
// a deleted and a dead comment (the shapes the HN API documents), served next to the real items.
const story = {
  by: "pg",
  descendants: 4,
  id: 900001,
  kids: [900002, 900003, 900004],
  score: 10,
  time: now - HOUR,
  title: "A story fetched by the tests",
  type: "story",
  url: "{{base}}/articles/tumblr.html"
}
// A story whose linked page answers 500: the failure is recorded as a raw record, the batch goes on.
const broken = {
  by: "x",
  id: 900006,
  time: now - HOUR,
  title: "Broken link",
  type: "story",
  url: "{{base}}/fault/status/500/article"
}
const comments = {
  900002: { by: "a", id: 900002, kids: [900005], parent: 900001, text: "first", time: now - 50 * 60, type: "comment" },
  900003: { deleted: true, id: 900003, parent: 900001, time: now - 40 * 60, type: "comment" },
  900004: { by: "b", dead: true, id: 900004, parent: 900001, text: "[dead]", time: now - 30 * 60, type: "comment" },
  900005: { by: "c", id: 900005, parent: 900002, text: "reply", time: now - 20 * 60, type: "comment" }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("HackerNewsSource", () => {
  it.effect("ingests lists, items, comment trees and linked articles into bronze, and skips what is up to date", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const source = HackerNewsSource.make({ baseUrl: server.url, maxItems: 10 })
      const report = yield* FetchWorker.runOnce(source)
      assert.strictEqual(report.discovered, 3)
      assert.strictEqual(report.failed, 0, JSON.stringify(report.results))
      assert.strictEqual(report.fetched, 3)

      const lists = yield* reader.listItem({ sourceType: "hn", externalId: "_lists" })
      assert.deepStrictEqual(lists.map((i) => i.key.artifactType).sort(), ["selected", "topstories"])
      const list = lists.find((i) => i.key.artifactType === "topstories")!
      assert.deepStrictEqual(JSON.parse(text(yield* reader.get(list.key))), [121003, 900001, 900006])
      // Which ids were handed on to be fetched, and by which limit: here all of them.
      const selected = lists.find((i) => i.key.artifactType === "selected")!
      assert.deepStrictEqual(JSON.parse(text(yield* reader.get(selected.key))), {
        limit: 10,
        setting: "maxItems",
        items: ["121003", "900001", "900006"]
      })

      // The real API-doc item, byte for byte (rewriteHnUrls: false).
      const item = yield* reader.get({ sourceType: "hn", externalId: "121003", artifactType: "item", ext: "json" })
      assert.deepStrictEqual(item, served("hn/121003_story_apidocs.json"))

      const files = (yield* reader.listItem({ sourceType: "hn", externalId: "900001" })).map(
        (i) => `${i.key.artifactType}.${i.key.ext}`
      )
      assert.deepStrictEqual(files, [
        "article-response.json",
        "article.html",
        "comments@2026-11-27T05-00-00Z.json",
        "item.json"
      ])
      const tree = yield* reader.get({
        sourceType: "hn",
        externalId: "900001",
        artifactType: "comments@2026-11-27T05-00-00Z",
        ext: "json"
      })
      const parsed = yield* HnItem.parseCommentTree(tree, 900001)
      assert.deepStrictEqual(
        parsed.map((c) => [c.id, c.depth, c.state]),
        [
          [900002, 1, "live"],
          [900005, 2, "live"],
          [900003, 1, "deleted"],
          [900004, 1, "dead"]
        ]
      )
      const article = yield* reader.get({
        sourceType: "hn",
        externalId: "900001",
        artifactType: "article",
        ext: "html"
      })
      assert.deepStrictEqual(article, served("html/tumblr.html"))
      const response = JSON.parse(
        text(
          yield* reader.get({ sourceType: "hn", externalId: "900001", artifactType: "article-response", ext: "json" })
        )
      )
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers["content-type"], "text/html")

      const brokenFiles = yield* reader.listItem({ sourceType: "hn", externalId: "900006" })
      const failure = brokenFiles.find((i) => i.key.artifactType.startsWith("fetch-error@"))!
      assert.strictEqual(failure.key.artifactType, "fetch-error@2026-11-27T05-00-00Z")
      const record = JSON.parse(text(yield* reader.get(failure.key)))
      assert.strictEqual(record.artifact, "article")
      assert.strictEqual(record.url, `${server.url}/fault/status/500/article`)
      assert.strictEqual(record.reason, "http-status")
      assert.strictEqual(record.status, 500)
      assert.strictEqual(record.headers["content-length"], "21")
      assert.strictEqual(record.at, "2026-11-27T05:00:00.000Z")

      // Again right away: nothing is due, nothing is written.
      const hits = server.hits("/v0/item/900001.json")
      const again = yield* FetchWorker.runOnce(source)
      assert.strictEqual(again.skipped, 3)
      assert.strictEqual(server.hits("/v0/item/900001.json"), hits)
      // The same list and the same selection: nothing new.
      assert.strictEqual((yield* reader.listItem({ sourceType: "hn", externalId: "_lists" })).length, 2)

      // Seven hours later the young story's comments are due again: a new stamped artifact.
      yield* TestClock.adjust(Duration.hours(7))
      const later = yield* FetchWorker.runOnce(source)
      // 900001 (comments due) and 900006 (its failure is old enough to retry the article).
      assert.strictEqual(later.fetched, 2)
      const refetched = (yield* reader.listItem({ sourceType: "hn", externalId: "900001" })).map(
        (i) => i.key.artifactType
      )
      assert.include(refetched, "comments@2026-11-27T05-00-00Z")
      assert.include(refetched, "comments@2026-11-27T12-00-00Z")
      // The item did not change, so no second version of it.
      assert.isFalse(refetched.some((t) => t.startsWith("item@")))
    }).pipe(
      Effect.provide(
        fetchStack({
          topStories: [121003, 900001, 900006],
          rewriteHnUrls: false,
          hnItems: { ...comments, 900001: story, 900006: broken }
        })
      )
    )
  )

  it.effect("bad input never stops the line: malformed items, a null item, a failing list endpoint", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const report = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url }))
      assert.deepStrictEqual(
        report.results.map((r) => [r.externalId, r.outcome]),
        [
          ["900101", "failed"],
          ["900102", "failed"],
          ["4242424242", "fetched"],
          ["121003", "fetched"]
        ]
      )
      // Raw is raw: the malformed body is kept as received, beside the reason it could not be read.
      const truncated = yield* reader.get({ sourceType: "hn", externalId: "900101", artifactType: "item", ext: "json" })
      assert.strictEqual(text(truncated), '{"by":"x","id":900101,"ti')
      const files = yield* reader.listItem({ sourceType: "hn", externalId: "900101" })
      const record = JSON.parse(
        text(yield* reader.get(files.find((f) => f.key.artifactType.startsWith("fetch-error@"))!.key))
      )
      assert.strictEqual(record.reason, "invalid-response")
      assert.match(record.message, /truncated/)
      assert.strictEqual(report.results[2]!.reason, "the API has no such item (null)")

      // A list endpoint that keeps failing: a failure record under `_lists`, no items, no crash.
      const down = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: `${server.url}/fault/status/503/hn` }))
      assert.strictEqual(down.discovered, 0)
      const lists = yield* reader.listItem({ sourceType: "hn", externalId: "_lists" })
      const listFailure = JSON.parse(
        text(yield* reader.get(lists.find((f) => f.key.artifactType.startsWith("fetch-error@"))!.key))
      )
      assert.strictEqual(listFailure.status, 503)
      assert.strictEqual(listFailure.artifact, "topstories")
    }).pipe(
      Effect.provide(
        fetchStack({
          topStories: [900101, 900102, 4242424242, 121003],
          rewriteHnUrls: false,
          hnRaw: { 900101: '{"by":"x","id":900101,"ti', 900102: '{"id": 900102, "type": "story",}' }
        })
      )
    )
  )
})
