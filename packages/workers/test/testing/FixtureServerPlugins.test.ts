/**
 * The fixture server's Reddit and YouTube endpoints, which the offline demo's `reddit` and `youtube` entries
 * ask: the captured answers by thread, comment and video, the YouTube pages followed by their token, and the
 * answers the sources meet when they ask for something the server has no capture of.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { FixtureServer, redditThreads, youtubeVideos } from "../../src/testing/FixtureServer.ts"

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, json: (await response.json()) as any }
  })

const withServer = <A>(f: (url: string) => Effect.Effect<A>) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(FixtureServer.layer())
    return yield* f(Context.get(context, FixtureServer).url)
  }).pipe(Effect.scoped)

describe("FixtureServer's Reddit and YouTube endpoints", () => {
  it.live("Reddit: the captured threads, their morechildren answer, and no things for comments it has not", () =>
    withServer((url) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(Object.keys(redditThreads).sort(), ["123", "testpost"])
        const thread = yield* get(`${url}/comments/123.json?raw_json=1`)
        assert.strictEqual(thread.status, 200)
        assert.strictEqual(thread.json[0].data.children[0].data.id, "123")
        const more = yield* get(`${url}/api/morechildren.json?api_type=json&link_id=t3_123&children=def,ghi,jkl`)
        assert.deepStrictEqual(
          more.json.json.data.things.map((t: any) => t.data.id),
          ["def", "ghi", "jkl", "fye3844"]
        )
        const rest = yield* get(`${url}/api/morechildren.json?api_type=json&link_id=t3_123&children=fye3844`)
        assert.deepStrictEqual([rest.status, rest.json.json.data.things], [200, []])
        assert.strictEqual((yield* get(`${url}/comments/nosuch.json`)).status, 404)
      })
    )
  )

  it.live("YouTube: a key is required (any), videos by id, comment pages by token, 404 for other ids", () =>
    withServer((url) =>
      Effect.gen(function* () {
        const api = `${url}/youtube/v3`
        const key = { "x-goog-api-key": "any-key" }
        const refused = yield* get(`${api}/videos?part=snippet&id=D-lhorsDlUQ`)
        assert.strictEqual(refused.status, 400)
        assert.strictEqual(refused.json.error.errors[0].reason, "keyInvalid")
        for (const id of Object.keys(youtubeVideos)) {
          const video = yield* get(`${api}/videos?part=snippet&id=${id}`, key)
          assert.deepStrictEqual([video.status, video.json.items[0].id], [200, id])
        }
        const first = yield* get(`${api}/commentThreads?part=snippet,replies&videoId=F1UP7wRCPH8`, key)
        assert.isString(first.json.nextPageToken)
        const token = encodeURIComponent(first.json.nextPageToken)
        const second = yield* get(`${api}/commentThreads?videoId=F1UP7wRCPH8&pageToken=${token}`, key)
        assert.strictEqual(second.status, 200)
        assert.isUndefined(second.json.nextPageToken)
        assert.strictEqual((yield* get(`${api}/videos?id=goneVideo01`, key)).status, 404)
        assert.strictEqual((yield* get(`${api}/commentThreads?videoId=F1UP7wRCPH8&pageToken=other`, key)).status, 404)
      })
    )
  )
})
