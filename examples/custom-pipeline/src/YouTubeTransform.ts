/**
 * The transform of the YouTube source: from a video's bronze artifacts to its silver row.
 *
 * - `youtube/_watchlist` is not an item: the videos of its newest lookup become `pending` items with
 *   their title and watch URL, so silver shows what is known before it is fetched.
 * - `youtube/<id>`: `video.json` gives title, channel (as the author), published time, language and the
 *   description as `body_text`; a newer `fetch-error@` record gives `fetch_status = failed` with its
 *   reason. A response that does not decode fails the item with the reason, never the batch.
 *
 * Registered with `SourceTransforms.extend(SourceTransforms.builtIn, [youTubeTransform])`.
 */
import { ItemDraft, JsonArtifact, type SourceTransform } from "@medallion/workers"
import { DateTime, Effect, Option } from "effect"
import { VideoList, watchUrl } from "./Video.ts"
import { SOURCE_TYPE, WATCHLIST } from "./YouTubeSource.ts"

const decodeVideoList = JsonArtifact.decode(VideoList, "YouTube videos.list response")

/** RFC 3339 from the API; anything else is no time. */
const parseTime = (text: string | undefined): DateTime.Utc | undefined =>
  text === undefined ? undefined : Option.getOrUndefined(Option.map(DateTime.make(text), DateTime.toUtc))

const transformWatchlist: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const list = yield* draft.decodeNewestGood("videos", options.maxJsonBytes, decodeVideoList)
      if (list?._tag === "Bad") draft.mainFailure = list.reason
      if (list?._tag === "Ok") {
        draft.discovered = list.value.items.map((video) => ({
          sourceType: SOURCE_TYPE,
          externalId: video.id,
          title: video.snippet?.title,
          url: watchUrl(video.id)
        }))
      }
      return draft.finish(false)
    })
  )

const transformVideo: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["video"])
      draft.fields.url = watchUrl(artifacts.item.externalId)
      const response = yield* draft.decodeNewestGood("video", options.maxJsonBytes, decodeVideoList)
      if (response?._tag === "Bad") draft.mainFailure = response.reason
      if (response?._tag === "Ok") {
        const video = response.value.items.find((v) => v.id === artifacts.item.externalId)
        if (video === undefined) {
          draft.mainFailure = `video.json: the API returned no video with the id ${artifacts.item.externalId}`
        } else {
          const s = video.snippet ?? {}
          draft.fields.title = s.title
          draft.fields.author = s.channelTitle
          draft.fields.publishedAt = parseTime(s.publishedAt)
          draft.fields.language = s.defaultAudioLanguage ?? s.defaultLanguage
          draft.fields.bodyText = s.description
        }
      }
      return draft.finish()
    })
  )

export const youTubeTransform: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: 1,
  transform: (artifacts, options) =>
    artifacts.item.externalId === WATCHLIST
      ? transformWatchlist(artifacts, options)
      : transformVideo(artifacts, options)
}
