/**
 * A custom source: a watch list of YouTube videos, read through the YouTube Data API v3.
 *
 * - `discover` looks the whole list up in one `videos.list` request (one quota unit for up to 50
 *   ids) and stores the response as received in `youtube/_watchlist/videos.json` (a new stamped
 *   version only when it changed). Ids the API no longer returns (deleted, private) drop out.
 * - `fetchItem` fetches one video's resource into `youtube/<id>/video.json`, as received. A video
 *   already in bronze is skipped; a failed request leaves a `fetch-error@<stamp>.json` record, which
 *   the transform turns into `fetch_status = failed` with the reason.
 *
 * It keeps nothing in memory between runs: what is due is read back from bronze. Its requirements are
 * the fetch side's (`FetchHttp`, `BronzeWriter`, `BronzeReader`), never a silver service.
 */
import type { BronzeReader } from "@medallion/bronze"
import { BronzeWriter } from "@medallion/bronze"
import { FetchHttp, ItemArtifacts, SourceError, type Source } from "@medallion/workers/fetch"
import { Effect, Redacted, Schema } from "effect"
import { VideoList } from "./Video.ts"

export const SOURCE_TYPE = "youtube"

/** The folder of the watch list's lookups: starts with `_`, which no video id does. */
export const WATCHLIST = "_watchlist"

/** The API answers at most 50 ids per `videos.list` call. */
export const MAX_IDS = 50

export interface YouTubeSourceOptions {
  /** `https://www.googleapis.com` in production; a local server in tests. */
  readonly baseUrl: string
  readonly videoIds: ReadonlyArray<string>
  /** Sent in the `X-Goog-Api-Key` header, so it never appears in a URL that bronze records. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
}

const VIDEO_ID = /^[A-Za-z0-9_-]{1,64}$/

const decodeList = Schema.decodeUnknownEffect(Schema.fromJsonString(VideoList))

export const make = (options: YouTubeSourceOptions): Source<FetchHttp | BronzeWriter | BronzeReader> => {
  const ids = options.videoIds.filter((id) => VIDEO_ID.test(id)).slice(0, MAX_IDS)
  const headers: Record<string, string> =
    options.apiKey === undefined ? {} : { "X-Goog-Api-Key": Redacted.value(options.apiKey) }
  const videosUrl = (id: string, part: string) =>
    `${options.baseUrl}/youtube/v3/videos?part=${part}&id=${encodeURIComponent(id)}`
  const sourceError = (externalId?: string) => (cause: unknown) =>
    new SourceError({
      sourceType: SOURCE_TYPE,
      ...(externalId === undefined ? {} : { externalId }),
      message: cause instanceof Error ? cause.message : String(cause),
      cause
    })

  return {
    sourceType: SOURCE_TYPE,
    discover: Effect.gen(function* () {
      if (ids.length === 0) return []
      const http = yield* FetchHttp
      const response = yield* http.request({ url: videosUrl(ids.join(","), "snippet"), headers })
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, WATCHLIST)
      // The discovery response is a bronze artifact too: silver lists these videos before they are fetched.
      yield* ItemArtifacts.putVersionIfChanged(
        infos,
        { sourceType: SOURCE_TYPE, externalId: WATCHLIST },
        "videos",
        "json",
        response.body
      )
      const list = yield* decodeList(new TextDecoder().decode(response.body))
      return list.items.filter((video) => VIDEO_ID.test(video.id)).map((video) => ({ externalId: video.id }))
    }).pipe(Effect.mapError(sourceError()), Effect.withSpan("YouTubeSource.discover")),

    fetchItem: (item) =>
      Effect.gen(function* () {
        const item_ = { sourceType: SOURCE_TYPE, externalId: item.externalId }
        const infos = yield* ItemArtifacts.list(SOURCE_TYPE, item.externalId)
        if (ItemArtifacts.latest(infos, "video") !== undefined) {
          return { externalId: item.externalId, outcome: "skipped" as const, written: [], reason: "up to date" }
        }
        const http = yield* FetchHttp
        const response = yield* Effect.result(
          http.request({ url: videosUrl(item.externalId, "snippet,player"), headers })
        )
        if (response._tag === "Failure") {
          const { at: _at, ...record } = ItemArtifacts.failureFromFetchError("video", response.failure, "")
          const written = yield* ItemArtifacts.recordFailure(item_, record)
          return {
            externalId: item.externalId,
            outcome: "failed" as const,
            written: [written],
            reason: response.failure.message
          }
        }
        const writer = yield* BronzeWriter
        const put = yield* writer.put({ ...item_, artifactType: "video", ext: "json" }, response.success.body)
        return { externalId: item.externalId, outcome: "fetched" as const, written: [put.location] }
      }).pipe(Effect.mapError(sourceError(item.externalId)), Effect.withSpan("YouTubeSource.fetchItem"))
  }
}
