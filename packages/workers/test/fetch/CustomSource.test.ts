/**
 * The worked example of the README: a user's own source, unit-tested with the
 * shipped doubles (`FetchHttp.layerTest`, `MemoryBronze.layer`): no network, no disk.
 */
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as ItemArtifacts from "../../src/fetch/ItemArtifacts.ts"
import { type Source, SourceError } from "../../src/fetch/Source.ts"
import { FetchHttp } from "../../src/http/FetchHttp.ts"

// --- the user's source ---------------------------------------------------------------------------
const PostIds = Schema.Array(Schema.Number)

const postsSource = (baseUrl: string): Source<FetchHttp | BronzeWriter | BronzeReader> => {
  const toSourceError = (externalId?: string) => (cause: unknown) =>
    new SourceError({ sourceType: "posts", ...(externalId ? { externalId } : {}), message: String(cause), cause })
  return {
    sourceType: "posts",
    discover: Effect.gen(function* () {
      const http = yield* FetchHttp
      const list = yield* http.request({ url: `${baseUrl}/posts` })
      const infos = yield* ItemArtifacts.list("posts", "_lists")
      // Discovery responses are bronze artifacts too (a new version only when they changed).
      yield* ItemArtifacts.putVersionIfChanged(
        infos,
        { sourceType: "posts", externalId: "_lists" },
        "posts",
        "json",
        list.body
      )
      const ids = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(PostIds))(new TextDecoder().decode(list.body))
      return ids.map((id) => ({ externalId: String(id) }))
    }).pipe(Effect.mapError(toSourceError())),
    fetchItem: (item) =>
      Effect.gen(function* () {
        const http = yield* FetchHttp
        const writer = yield* BronzeWriter
        const key = { sourceType: "posts", externalId: item.externalId, artifactType: "post", ext: "json" }
        const infos = yield* ItemArtifacts.list("posts", item.externalId)
        if (ItemArtifacts.latest(infos, "post") !== undefined) {
          return { externalId: item.externalId, outcome: "skipped" as const, written: [], reason: "up to date" }
        }
        const response = yield* Effect.result(http.request({ url: `${baseUrl}/posts/${item.externalId}` }))
        if (response._tag === "Failure") {
          const { at: _at, ...record } = ItemArtifacts.failureFromFetchError("post", response.failure, "")
          const written = yield* ItemArtifacts.recordFailure(
            { sourceType: "posts", externalId: item.externalId },
            record
          )
          return {
            externalId: item.externalId,
            outcome: "failed" as const,
            written: [written],
            reason: response.failure.message
          }
        }
        const put = yield* writer.put(key, response.success.body)
        return { externalId: item.externalId, outcome: "fetched" as const, written: [put.location] }
      }).pipe(Effect.mapError(toSourceError(item.externalId)))
  }
}

// --- its unit test -------------------------------------------------------------------------------
const http = FetchHttp.layerTest({
  "https://api.example/posts": { body: "[1, 2]", headers: { "Content-Type": "application/json" } },
  "https://api.example/posts/1": { body: '{"id":1,"title":"hello"}' },
  "https://api.example/posts/2": { status: 503, headers: { "retry-after": "120" } }
})

describe("a custom source on the shipped doubles", () => {
  it.effect("discovers, fetches, records the failure, and skips what bronze already holds", () =>
    Effect.gen(function* () {
      const source = postsSource("https://api.example")
      const report = yield* FetchWorker.runOnce(source)
      assert.deepStrictEqual(
        report.results.map((r) => [r.externalId, r.outcome]),
        [
          ["1", "fetched"],
          ["2", "failed"]
        ]
      )
      const memory = yield* MemoryBronze
      const locations = (yield* memory.artifacts).map((a) => a.location)
      assert.include(locations, "posts/1/post.json")
      assert.include(locations, "posts/_lists/posts.json")
      const failure = locations.find((l) => l.startsWith("posts/2/fetch-error@"))!
      const reader = yield* BronzeReader
      const record = JSON.parse(
        new TextDecoder().decode(yield* reader.get((yield* memory.artifacts).find((a) => a.location === failure)!.key))
      )
      assert.strictEqual(record.status, 503)
      assert.strictEqual(record.headers["retry-after"], "120")
      const again = yield* FetchWorker.runOnce(source)
      assert.strictEqual(again.results[0]!.reason, "up to date")
    }).pipe(Effect.provide(Layer.mergeAll(http, MemoryBronze.layer)))
  )

  it.effect("the test double keeps the real client's semantics for statuses and limits", () =>
    Effect.gen(function* () {
      const client = yield* FetchHttp
      const missing = yield* Effect.flip(client.request({ url: "https://nowhere.example/" }))
      assert.strictEqual(missing.status, 404)
      const big = yield* Effect.flip(client.request({ url: "https://api.example/posts/1", maxBytes: 4 }))
      assert.strictEqual(big.reason, "too-large")
      const notModified = yield* client.request({ url: "https://api.example/etag" })
      assert.strictEqual(notModified.status, 304)
    }).pipe(
      Effect.provide(
        FetchHttp.layerTest({
          "https://api.example/posts/1": { body: "12345" },
          "https://api.example/etag": { status: 304 }
        })
      )
    )
  )
})
