/**
 * The custom source on the shipped doubles (`FetchHttp.layerTest`, `MemoryBronze.layer`): no network,
 * no disk. The routes answer with real YouTube API responses.
 */
import { assert, describe, it } from "@effect/vitest"
import { BronzeReader, MemoryBronze } from "@medallion/bronze"
import { FetchHttp, FetchWorker, type TestRequest } from "@medallion/workers/fetch"
import { Effect, Layer, Redacted } from "effect"
import { YouTubeSource } from "../src/index.ts"
import * as Fixtures from "./support/Fixtures.ts"

const BASE = "https://youtube.example"

const seen: Array<TestRequest> = []
const http = FetchHttp.layerTest(
  Object.fromEntries(
    Fixtures.routes.map((route) => [
      `${BASE}${route.pathAndQuery}`,
      (request: TestRequest) => {
        seen.push(request)
        return {
          status: route.status,
          body: Fixtures.text(route.file),
          headers: { "Content-Type": "application/json" }
        }
      }
    ])
  )
)

const source = YouTubeSource.make({
  baseUrl: BASE,
  videoIds: [...Fixtures.WATCHED, "../not-an-id"],
  apiKey: Redacted.make("secret-key")
})

const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes))

describe("YouTubeSource", () => {
  it.effect("stores the lookup and each video as received, records a refused video, skips what bronze holds", () =>
    Effect.gen(function* () {
      const first = yield* FetchWorker.runOnce(source)
      assert.strictEqual(first.discovered, 2)
      assert.deepStrictEqual(
        first.results.map((r) => [r.externalId, r.outcome]),
        [
          [Fixtures.FETCHED, "fetched"],
          [Fixtures.REFUSED, "failed"]
        ]
      )

      const memory = yield* MemoryBronze
      const reader = yield* BronzeReader
      const artifacts = yield* memory.artifacts
      const byLocation = (location: string) => artifacts.find((a) => a.location === location)
      const watchlist = byLocation("youtube/_watchlist/videos.json")
      assert.isDefined(watchlist)
      assert.deepStrictEqual(yield* reader.get(watchlist!.key), Fixtures.bytes("videos_info_multi.json"))
      const video = byLocation(`youtube/${Fixtures.FETCHED}/video.json`)
      assert.isDefined(video)
      assert.deepStrictEqual(yield* reader.get(video!.key), Fixtures.bytes("videos_info_single.json"))

      const failure = artifacts.find((a) => a.location.startsWith(`youtube/${Fixtures.REFUSED}/fetch-error@`))
      assert.isDefined(failure)
      const record = decode(yield* reader.get(failure!.key))
      assert.strictEqual(record.artifact, "video")
      assert.strictEqual(record.status, 403)
      assert.include(record.bodyExcerpt, "PERMISSION_DENIED")

      // The key travels in a header, never in a URL (URLs end up in bronze records).
      assert.isTrue(seen.every((r) => r.headers["x-goog-api-key"] === "secret-key"))
      assert.isTrue(seen.every((r) => !r.url.includes("secret-key")))
      for (const a of artifacts) assert.notInclude(new TextDecoder().decode(yield* reader.get(a.key)), "secret-key")

      const second = yield* FetchWorker.runOnce(source)
      assert.deepStrictEqual(second.results.find((r) => r.externalId === Fixtures.FETCHED)?.reason, "up to date")
      // An unchanged lookup is not stored again.
      const again = (yield* memory.artifacts).filter((a) => a.location.startsWith("youtube/_watchlist/"))
      assert.strictEqual(again.length, 1)
    }).pipe(Effect.provide(Layer.mergeAll(http, MemoryBronze.layer)))
  )

  it.effect("a lookup that is not a videos.list response is a discovery failure, and nothing is fetched", () =>
    Effect.gen(function* () {
      const report = yield* FetchWorker.runOnce(YouTubeSource.make({ baseUrl: BASE, videoIds: [Fixtures.FETCHED] }))
      assert.isDefined(report.discoverError)
      assert.strictEqual(report.results.length, 0)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FetchHttp.layerTest({
            [`${BASE}/youtube/v3/videos?part=snippet&id=${Fixtures.FETCHED}`]: {
              body: Fixtures.text("error_permission_resp.json")
            }
          }),
          MemoryBronze.layer
        )
      )
    )
  )
})
