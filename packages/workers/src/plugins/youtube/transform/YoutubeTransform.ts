/**
 * YouTube videos (`youtube`): `video@<stamp>.json` (the `videos.list` answer; the newest that decodes and
 * holds the video wins) with the `comments-<n>@<stamp>.json` pages of the same fetch, and
 * `fetch-error@<stamp>.json` records. The video is the item: title, author (the channel's title),
 * published, its watch URL, `site_name` YouTube, its tags as categories, its language when the owner set
 * one, its description as the body, and a `video` media row with its duration. Its statistics stay in
 * bronze: silver has no column for them. Every top-level comment of the pages is a comment row hanging
 * from the item, each reply sent with it a row hanging from its top-level comment (a reply whose
 * top-level comment is not there hangs from the item). A comment the API sends without text stays a row,
 * `deleted = true`, so its replies keep their parent. A video the API no longer returns is `gone` (its
 * record says so), with what an older copy gave. The folder `_quota:<entry name>` holds the fetch side's
 * back-off records: it is no item.
 */
import { Effect } from "effect"
import type { ArtifactInfo } from "@medallion/bronze"
import type { Item } from "@medallion/silver"
import * as Instant from "../../../extract/Instant.ts"
import * as ArtifactSet from "../../../transform/ArtifactSet.ts"
import { ItemDraft } from "../../../transform/ItemDraft.ts"
import type { SourceTransform } from "../../../transform/SourceTransform.ts"
import * as YoutubeApi from "../YoutubeApi.ts"
import * as YoutubeNames from "../YoutubeNames.ts"

export const SOURCE_TYPE = YoutubeNames.SOURCE_TYPE

const PAGE = /^comments-([0-9]+)$/

/** Seconds of an ISO 8601 duration as the API writes them (`PT1H2M3S`, `P1DT2H`); `undefined` otherwise. */
export const durationSeconds = (text: string | undefined): number | undefined => {
  const m = text === undefined ? null : /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text)
  if (m === null || text === "P" || text === "PT") return undefined
  const [, d, h, min, s] = m
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)
}

const nonEmpty = (text: string | undefined): string | undefined =>
  text === undefined || text.trim().length === 0 ? undefined : text

const transformVideo: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const id = artifacts.item.externalId
      yield* draft.deriveFetchStatus(["video"])
      draft.fields.url = YoutubeNames.watchUrl(id)

      // The newest copy that decodes and holds the video; newer bad copies are named.
      const bad: Array<string> = []
      let empty: ArtifactInfo | undefined
      let chosen: { readonly info: ArtifactInfo; readonly video: YoutubeApi.Video } | undefined
      for (const info of artifacts.versions("video")) {
        const decoded = yield* draft.decode(info, options.maxJsonBytes, YoutubeApi.decodeVideoList)
        if (decoded._tag === "Bad") {
          bad.push(decoded.reason)
          continue
        }
        const video = decoded.value.items.find((v) => v.id === id)
        if (video === undefined) {
          empty ??= info
          continue
        }
        chosen = { info, video }
        break
      }
      const gone = draft.fetchStatus === "gone"
      if (chosen === undefined) {
        // A video answered with no item is gone, as its record says: nothing failed in the transform.
        if (!gone && bad.length > 0) draft.mainFailure = bad[0]
        else if (!gone && empty !== undefined)
          draft.mainFailure = `${ArtifactSet.describe(empty)}: the API returned no video with the id ${id}`
        return draft.finish()
      }
      for (const reason of bad) draft.problems.push(`${reason} (kept ${ArtifactSet.describe(chosen.info)})`)

      const { video, info } = chosen
      const s = video.snippet ?? {}
      const f = draft.fields
      f.title = s.title
      f.author = s.channelTitle
      draft.setPublished(s.publishedAt)
      f.language = s.defaultAudioLanguage ?? s.defaultLanguage
      f.bodyText = s.description
      if (nonEmpty(s.description) !== undefined) f.extractor = "youtube-description"
      f.siteName = "YouTube"
      f.categories = s.tags
      const seconds = durationSeconds(video.contentDetails?.duration)
      draft.media = [
        {
          kind: "video",
          url: YoutubeNames.watchUrl(id),
          mimeType: null,
          durationSeconds: seconds ?? null,
          bytes: null,
          artifact: null
        }
      ]

      // The comment pages of the same fetch as the video used, in page order.
      const stamp = ArtifactSet.versionStamp(info.key.artifactType)
      const pageNames = artifacts.names
        .flatMap((name) => {
          const m = PAGE.exec(name)
          return m === null ? [] : [{ name, n: Number(m[1]) }]
        })
        .sort((a, b) => a.n - b.n)
      const all: Array<{
        readonly comment: YoutubeApi.Comment
        readonly parent: string | undefined
        readonly artifact: Item.ArtifactRef
      }> = []
      for (const { name } of pageNames) {
        const pageInfo = artifacts.versions(name).find((i) => ArtifactSet.versionStamp(i.key.artifactType) === stamp)
        if (pageInfo === undefined) continue
        const page = yield* draft.decode(pageInfo, options.maxJsonBytes, YoutubeApi.decodeCommentThreads)
        if (page._tag === "Bad") {
          draft.problems.push(page.reason)
          continue
        }
        const artifact = ArtifactSet.refOf(pageInfo)
        for (const { comment, thread, topLevel } of YoutubeApi.comments(page.value))
          all.push({
            comment,
            parent: topLevel ? undefined : (comment.snippet?.parentId ?? thread.snippet.topLevelComment?.id),
            artifact
          })
      }
      const present = new Set(all.map(({ comment }) => comment.id))
      const written = new Set<string>()
      const rows: Array<Item.CommentInput> = []
      // Pages can repeat a thread (the list moves between requests): its first copy stands.
      for (const { comment, parent, artifact } of all) {
        if (written.has(comment.id)) continue
        written.add(comment.id)
        const text = nonEmpty(YoutubeApi.textOf(comment))
        rows.push({
          externalId: comment.id,
          parentExternalId: parent !== undefined && present.has(parent) ? parent : null,
          author: nonEmpty(comment.snippet?.authorDisplayName) ?? null,
          bodyText: text ?? null,
          publishedAt: Instant.parse(comment.snippet?.publishedAt) ?? null,
          deleted: text === undefined,
          artifact
        })
      }
      draft.comments = rows
      return draft.finish()
    })
  )

/** The folder of an entry's back-off records (`_quota:<entry name>`): the fetch side's own, no silver row. */
const transformQuotaFolder: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) => Effect.succeed(draft.finish(false)))

/** The version of this transform's rows (bump it in `YoutubeNames.ts`). */
export const VERSION = YoutubeNames.TRANSFORM_VERSION

export const youtube: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: VERSION,
  transform: (artifacts, options) =>
    YoutubeNames.isQuotaFolder(artifacts.item.externalId)
      ? transformQuotaFolder(artifacts, options)
      : transformVideo(artifacts, options)
}
