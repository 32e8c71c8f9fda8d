/**
 * Fetch daemons sharing one source: shards split the items between them, and where two fetch the
 * same item anyway, bronze's write-once puts make the race harmless (no failure, one stored version
 * of each artifact, never a mixture).
 */
import { BronzeReader, FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as HackerNewsSource from "../../src/fetch/HackerNewsSource.ts"
import * as Shard from "../../src/fetch/Shard.ts"
import { FetchHttp } from "../../src/http/FetchHttp.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { tempDir } from "../support/TempDir.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const IDS = Array.from({ length: 24 }, (_, i) => 910_000 + i)

/** The same stories on two servers, differing in score: two fetchers get different bytes for each item. */
const stories = (score: number) =>
  Object.fromEntries(
    IDS.map((id) => [id, { by: "pg", id, score, time: NOW / 1000 - 60, title: `Story ${id}`, type: "story" }])
  )

const server = (score: number) =>
  Effect.map(Layer.build(FixtureServer.layer({ topStories: IDS, hnItems: stories(score) })), (context) =>
    Context.get(context, FixtureServer)
  )

const stack = Layer.mergeAll(
  FetchHttp.layer({ addressPolicy: { allow: ["127.0.0.1/32"] }, perHostInterval: Duration.zero, maxRetries: 0 }),
  Layer.unwrap(Effect.map(tempDir(), (root) => FileSystemBronze.layerWith({ root, catalog: "index" }))).pipe(
    Layer.orDie
  )
)

const itemKey = (id: number) => ({ sourceType: "hn", externalId: String(id), artifactType: "item", ext: "json" })
const source = (url: string) => HackerNewsSource.make({ baseUrl: url, maxItems: IDS.length, fetchArticles: false })

describe("fetch daemons sharing a source", () => {
  it("every item belongs to exactly one shard, and the split is even enough to share the load", () => {
    const counts = [0, 0, 0]
    for (let i = 0; i < 3000; i++) {
      const owners = [1, 2, 3].filter((index) => Shard.owns({ index, count: 3 }, "hn", String(i)))
      assert.strictEqual(owners.length, 1)
      counts[owners[0]! - 1]!++
    }
    for (const count of counts) assert.isAbove(count, 800)
    assert.deepStrictEqual(Schema.decodeUnknownSync(Shard.ShardFromString)("2/3"), { index: 2, count: 3 })
    assert.isTrue(Result.isFailure(Schema.decodeUnknownResult(Shard.ShardFromString)("3/2")))
  })

  it.effect("two shards fetch the discovered items between them, each exactly once", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const a = yield* server(1)
      const [first, second] = yield* Effect.all(
        [
          FetchWorker.runOnce(source(a.url), { shard: { index: 1, count: 2 } }),
          FetchWorker.runOnce(source(a.url), { shard: { index: 2, count: 2 } })
        ],
        { concurrency: 2 }
      )
      const fetched = [...first.results, ...second.results].map((r) => Number(r.externalId)).sort()
      assert.deepStrictEqual(fetched, IDS)
      assert.isAbove(first.fetched, 0)
      assert.isAbove(second.fetched, 0)
      for (const id of IDS) assert.strictEqual(a.hits(`/v0/item/${id}.json`), 1)
    }).pipe(Effect.provide(stack), Effect.scoped)
  )

  it.effect("two fetchers of the same items race harmlessly: no failure, one whole version per artifact", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const [a, b] = [yield* server(1), yield* server(2)]
      const reader = yield* BronzeReader
      const reports = yield* Effect.all([FetchWorker.runOnce(source(a.url)), FetchWorker.runOnce(source(b.url))], {
        concurrency: 2
      })
      for (const report of reports) {
        assert.strictEqual(report.failed, 0, JSON.stringify(report.results.filter((r) => r.outcome === "failed")))
        assert.strictEqual(report.discovered, IDS.length)
      }
      for (const id of IDS) {
        const stored = JSON.parse(new TextDecoder().decode(yield* reader.get(itemKey(id))))
        assert.include([1, 2], stored.score)
        // A later fetcher may add a stamped version (the item changed); it never replaces the first.
        const versions = (yield* reader.listItem({ sourceType: "hn", externalId: String(id) })).filter(
          (info) => info.key.artifactType === "item" || info.key.artifactType.startsWith("item@")
        )
        assert.isAtLeast(versions.length, 1)
        assert.isAtMost(versions.length, 2)
      }
      // Both discoveries stored or shared the list; every artifact is in the index once.
      const page = yield* reader.tailIndex({ offset: 0, maxEntries: 10_000 })
      const locations = page.entries.map((entry) => entry.info.location)
      assert.strictEqual(new Set(locations).size, locations.length)
    }).pipe(Effect.provide(stack), Effect.scoped)
  )
})
