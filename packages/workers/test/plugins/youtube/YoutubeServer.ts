/**
 * The YouTube Data API v3 on loopback, answering with the captured data of `test/fixtures/youtube/` (see
 * its SOURCES.md; the captures the fixture server serves too are kept once, in `test/fixtures/server/youtube/`):
 * `/videos?id=<id>` and `/commentThreads?videoId=<id>[&pageToken=<token>]`, each only for
 * the API key `KEY` in the `X-Goog-Api-Key` header (`keyInvalid` otherwise, as the API answers). Every
 * request is recorded with its headers.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { Context, Effect, Layer } from "effect"
import { fixturesDir } from "../../../src/testing/FixtureServer.ts"
import { testFixturesDir } from "../../support/Fixtures.ts"

export const KEY = "test-key-not-a-secret"

/** The captures the fixture server (the offline demo's) serves as well, in its folder. */
const SERVED = new Set([
  "videos_info_single.json",
  "comment_threads_multi.json",
  "videos_F1UP7wRCPH8_derived.json",
  "comment_threads_by_video_paged_1.json",
  "comment_threads_by_video_paged_2.json",
  "videos_JE8xdDp5B8Q_derived.json",
  "comment_threads_replies_derived.json",
  "error_response.json"
])

const file = (name: string): Buffer =>
  Fs.readFileSync(Path.join(SERVED.has(name) ? fixturesDir : testFixturesDir, "youtube", name))

/** The token of the paged threads' first page (`comment_threads_by_video_paged_1.json`). */
export const PAGE_2_TOKEN = (
  JSON.parse(file("comment_threads_by_video_paged_1.json").toString("utf8")) as { nextPageToken: string }
).nextPageToken

export interface Answer {
  readonly status: number
  readonly file: string
}

export const videos: Readonly<Record<string, Answer>> = {
  "D-lhorsDlUQ": { status: 200, file: "videos_info_single.json" },
  F1UP7wRCPH8: { status: 200, file: "videos_F1UP7wRCPH8_derived.json" },
  JE8xdDp5B8Q: { status: 200, file: "videos_JE8xdDp5B8Q_derived.json" },
  // Answered wrongly: a channel list where a video list belongs, a cut-short answer, no video, a refusal.
  wrongShape1: { status: 200, file: "info.json" },
  truncated01: { status: 200, file: "videos_info_single_truncated.json" },
  goneVideo01: { status: 200, file: "videos_empty_derived.json" },
  forbidden01: { status: 403, file: "error_permission_resp.json" }
}

/** The comment thread pages, by video id and page token (`""` for the first page). */
export const threads: Readonly<Record<string, Answer>> = {
  "D-lhorsDlUQ ": { status: 200, file: "comment_threads_multi.json" },
  "F1UP7wRCPH8 ": { status: 200, file: "comment_threads_by_video_paged_1.json" },
  [`F1UP7wRCPH8 ${PAGE_2_TOKEN}`]: { status: 200, file: "comment_threads_by_video_paged_2.json" },
  "JE8xdDp5B8Q ": { status: 200, file: "comment_threads_replies_derived.json" }
}

export const QUOTA: Answer = { status: 403, file: "error_quota_derived.json" }

export interface YoutubeServerOptions {
  /** An answer instead of the captured one (a quota error, an answer of the wrong shape); `undefined` keeps it. */
  readonly answer?: ((url: URL) => Answer | undefined) | undefined
}

export interface Request {
  readonly url: URL
  readonly headers: Http.IncomingHttpHeaders
}

export class YoutubeServer extends Context.Service<
  YoutubeServer,
  {
    readonly url: string
    readonly requests: () => ReadonlyArray<Request>
    /** Changes the override for the requests to come. */
    readonly answerWith: (answer: YoutubeServerOptions["answer"]) => void
  }
>()("test/YoutubeServer") {
  static readonly layer = (options: YoutubeServerOptions = {}) =>
    Layer.effect(
      YoutubeServer,
      Effect.acquireRelease(
        Effect.callback<{
          readonly server: Http.Server
          readonly url: string
          readonly seen: Array<Request>
          readonly state: { answer: YoutubeServerOptions["answer"] }
        }>((resume) => {
          const seen: Array<Request> = []
          const state = { answer: options.answer }
          const server = Http.createServer((request, response) => {
            const url = new URL(request.url ?? "/", "http://127.0.0.1")
            seen.push({ url, headers: request.headers })
            const send = (answer: Answer | undefined) =>
              answer === undefined
                ? response
                    .writeHead(404, { "content-type": "application/json" })
                    .end('{"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}')
                : response
                    .writeHead(answer.status, { "content-type": "application/json; charset=UTF-8" })
                    .end(file(answer.file))
            if (request.headers["x-goog-api-key"] !== KEY) return send({ status: 400, file: "error_response.json" })
            const override = state.answer?.(url)
            if (override !== undefined) return send(override)
            if (url.pathname === "/videos") return send(videos[url.searchParams.get("id") ?? ""])
            if (url.pathname === "/commentThreads")
              return send(threads[`${url.searchParams.get("videoId")} ${url.searchParams.get("pageToken") ?? ""}`])
            send(undefined)
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number }
            resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}`, seen, state }))
          })
        }),
        ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
      ).pipe(
        Effect.map(({ url, seen, state }) => ({
          url,
          requests: () => [...seen],
          answerWith: (answer: YoutubeServerOptions["answer"]) => {
            state.answer = answer
          }
        }))
      )
    )
}
