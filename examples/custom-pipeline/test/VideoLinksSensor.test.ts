/**
 * The transform and the gold logic on the shipped in-memory layers: bronze in `MemoryBronze`, silver
 * in `ItemRepo.layerTest`, the gold table in `VideoLinksTable.layerTest`. Bronze is filled by the
 * source itself (on `FetchHttp.layerTest` with real API responses).
 */
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { ItemRepo } from "@medallion/silver"
import { TransformJob } from "@medallion/workers"
import { FetchHttp, FetchWorker } from "@medallion/workers/fetch"
import { DateTime, Effect, Layer, Option } from "effect"
import { LinkHosts, Pipeline, VideoLinksSensor, VideoLinksTable, YouTubeSource } from "../src/index.ts"
import * as Fixtures from "./support/Fixtures.ts"

const BASE = "https://youtube.example"
const http = FetchHttp.layerTest(
  Object.fromEntries(
    Fixtures.routes.map((route) => [
      `${BASE}${route.pathAndQuery}`,
      { status: route.status, body: Fixtures.text(route.file) }
    ])
  )
)
const layers = Layer.mergeAll(http, MemoryBronze.layer, ItemRepo.layerTest, VideoLinksTable.layerTest)

const key = (externalId: string) => ({ sourceType: YouTubeSource.SOURCE_TYPE, externalId })
const keys = [key(YouTubeSource.WATCHLIST), key(Fixtures.FETCHED), key(Fixtures.REFUSED)]

describe("LinkHosts.count", () => {
  it("counts links per host, with and without a scheme, www. folded", () => {
    assert.deepStrictEqual(
      LinkHosts.count("see http://bit.ly/a and https://www.Bit.ly/b, YouTube.com/NFLFilms; not a link: a.b"),
      [
        { host: "bit.ly", links: 2 },
        { host: "youtube.com", links: 1 }
      ]
    )
    assert.deepStrictEqual(LinkHosts.count(null), [])
    assert.deepStrictEqual(LinkHosts.count("no links here. #NFL100"), [])
  })
})

describe("the YouTube transform and the video-links gold job, in memory", () => {
  it.effect("bronze -> silver rows with statuses -> gold rows per host", () =>
    Effect.gen(function* () {
      yield* FetchWorker.runOnce(YouTubeSource.make({ baseUrl: BASE, videoIds: Fixtures.WATCHED }))
      const repo = yield* ItemRepo
      // The watch list is not an item: its videos become pending items with title and link.
      const listed = yield* TransformJob.runBatch([key(YouTubeSource.WATCHLIST)], { transforms: Pipeline.transforms })
      assert.strictEqual(listed.discovered, 2)
      const pending = Option.getOrThrow(yield* repo.get(key(Fixtures.REFUSED))).item
      assert.strictEqual(pending.fetchStatus, "pending")
      assert.strictEqual(pending.title, "How EVERY Team Got Its Name & Identity!")

      const report = yield* TransformJob.runBatch(keys, { transforms: Pipeline.transforms })
      // A refused fetch is a status of the item (below), not bad input: every item transformed.
      assert.deepStrictEqual(report.failures, [])

      const video = Option.getOrThrow(yield* repo.get(key(Fixtures.FETCHED))).item
      assert.strictEqual(video.title, "What are Actions on Google (Assistant on Air)")
      assert.strictEqual(video.author, "Google Developers")
      assert.strictEqual(video.language, "en")
      assert.strictEqual(video.url, `https://www.youtube.com/watch?v=${Fixtures.FETCHED}`)
      assert.strictEqual(DateTime.formatIso(video.publishedAt!), "2019-03-21T20:37:49.000Z")
      assert.strictEqual(video.fetchStatus, "fetched")
      assert.strictEqual(video.transformStatus, "transformed")
      assert.include(video.bodyText!, "Actions on Google docs")

      const refused = Option.getOrThrow(yield* repo.get(key(Fixtures.REFUSED))).item
      assert.strictEqual(refused.fetchStatus, "failed")
      // The status once, then what the API said.
      assert.include(refused.fetchError!, "video: http-status: HTTP 403: ")
      // The watch list is not an item of its own.
      assert.isTrue(Option.isNone(yield* repo.get(key(YouTubeSource.WATCHLIST))))

      const entries = yield* VideoLinksSensor.refresh([...keys, { sourceType: "hn", externalId: "8863" }])
      assert.deepStrictEqual(
        entries.map((e) => e.item.externalId),
        [YouTubeSource.WATCHLIST, Fixtures.FETCHED, Fixtures.REFUSED]
      )
      const table = yield* VideoLinksTable
      const expected = [
        { host: "bit.ly", links: 2 },
        { host: "goo.gle", links: 1 }
      ]
      assert.deepStrictEqual(yield* table.byItem(key(Fixtures.FETCHED)), expected)
      assert.deepStrictEqual(yield* table.byItem(key(Fixtures.REFUSED)), [])
      // Replayed (a run retried after a crash): the same rows.
      yield* VideoLinksSensor.refresh(keys)
      assert.deepStrictEqual(yield* table.byItem(key(Fixtures.FETCHED)), expected)
      assert.deepStrictEqual(yield* table.topHosts(10), [
        { host: "bit.ly", links: 2, items: 1 },
        { host: "goo.gle", links: 1, items: 1 }
      ])
    }).pipe(Effect.provide(layers))
  )

  it.effect("a video.json that does not decode fails that item with the reason, not the batch", () =>
    Effect.gen(function* () {
      const writer = yield* BronzeWriter
      yield* writer.put(
        { ...key("brokenVideo1"), artifactType: "video", ext: "json" },
        new TextEncoder().encode('{"items": [')
      )
      yield* writer.put(
        { ...key(Fixtures.FETCHED), artifactType: "video", ext: "json" },
        Fixtures.bytes("videos_info_single.json")
      )
      const report = yield* TransformJob.runBatch([key("brokenVideo1"), key(Fixtures.FETCHED)], {
        transforms: Pipeline.transforms
      })
      assert.strictEqual(report.failures.length, 1)
      assert.include(report.failures[0]!.reason, "truncated")
      const repo = yield* ItemRepo
      const broken = Option.getOrThrow(yield* repo.get(key("brokenVideo1"))).item
      assert.strictEqual(broken.transformStatus, "failed")
      assert.isTrue(Option.isSome(yield* repo.get(key(Fixtures.FETCHED))))
    }).pipe(Effect.provide(layers))
  )
})
