/**
 * Reddit threads (`reddit`): `thread@<stamp>.json` (the post and its comment tree; the newest that
 * decodes wins) with the `more-<n>@<stamp>.json` morechildren answers of the same fetch, and
 * `fetch-error@<stamp>.json` records. The post is the item (title, author, created, link, its text);
 * every comment of the tree and of the answers is a comment row hanging from its parent. A deleted or
 * removed comment (`[deleted]` author, `[deleted]`/`[removed]` body) stays a row, `deleted = true` with
 * what Reddit shows in its place, so its replies keep their parent. A `_r_<name>` folder holds a
 * subreddit's listings: it is not an item, its posts become `pending` items.
 */
import { Effect } from "effect"
import type { ArtifactInfo } from "@medallion/bronze"
import type { Item } from "@medallion/silver"
import * as ArtifactSet from "../../../transform/ArtifactSet.ts"
import { fromEpochSeconds, ItemDraft } from "../../../transform/ItemDraft.ts"
import type { SourceTransform } from "../../../transform/SourceTransform.ts"
import * as RedditNames from "../RedditNames.ts"
import * as RedditThing from "../RedditThing.ts"

export const SOURCE_TYPE = RedditNames.SOURCE_TYPE

/** What Reddit shows for a comment whose author deleted it, or that moderators removed. */
const GONE = new Set(["[deleted]", "[removed]"])

export const isDeleted = (comment: RedditThing.RawComment): boolean =>
  comment.author === "[deleted]" || (comment.body !== undefined && GONE.has(comment.body))

const MORE = /^more-[0-9]+$/

const transformListing: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      const discovered: Array<Item.DiscoveredItem> = []
      const names = draft.documentNames()
      for (const name of names) {
        const decoded = yield* draft.decode(artifacts.newest(name)!, options.maxJsonBytes, RedditThing.decodeListing)
        if (decoded._tag === "Bad") {
          draft.problems.push(decoded.reason)
          continue
        }
        for (const id of RedditThing.postIds(decoded.value)) {
          const externalId = id.toLowerCase()
          if (!seen.has(externalId)) {
            seen.add(externalId)
            discovered.push({ sourceType: SOURCE_TYPE, externalId })
          }
        }
      }
      draft.discovered = yield* draft.selectDiscovered(discovered)
      return yield* draft.finishDiscovery(names)
    })
  )

const transformThread: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["thread"])
      const decoded = yield* draft.decodeNewestGood("thread", options.maxJsonBytes, RedditThing.decodeThread)
      if (decoded === undefined) return draft.finish()
      if (decoded._tag === "Bad") {
        draft.mainFailure = decoded.reason
        return draft.finish()
      }
      const { post, comments } = decoded.value
      const f = draft.fields
      f.title = post.title
      f.author = post.author
      f.publishedAt = fromEpochSeconds(post.created_utc)
      f.url = post.url ?? (post.permalink === undefined ? undefined : `https://www.reddit.com${post.permalink}`)
      f.siteName = post.subreddit_name_prefixed
      f.bodyText = post.selftext
      if (post.selftext !== undefined && post.selftext.length > 0) f.extractor = "reddit-selftext"

      // The morechildren answers of the same fetch as the thread used.
      const stamp = ArtifactSet.versionStamp(decoded.info.key.artifactType)
      const sources: Array<{ readonly info: ArtifactInfo; readonly things: ReadonlyArray<RedditThing.Thing> }> = [
        { info: decoded.info, things: comments.data.children }
      ]
      const moreNames = artifacts.names
        .filter((name) => MORE.test(name))
        .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
      for (const name of moreNames) {
        const info = artifacts.versions(name).find((i) => ArtifactSet.versionStamp(i.key.artifactType) === stamp)
        if (info === undefined) continue
        const more = yield* draft.decode(info, options.maxJsonBytes, RedditThing.decodeMoreChildren)
        if (more._tag === "Bad") draft.problems.push(more.reason)
        else sources.push({ info, things: more.value })
      }

      const all = sources.flatMap(({ info, things }) =>
        RedditThing.comments(things).map((comment) => ({ comment, artifact: ArtifactSet.refOf(info) }))
      )
      const present = new Set(all.map(({ comment }) => comment.id))
      const written = new Set<string>()
      const rows: Array<Item.CommentInput> = []
      for (const { comment, artifact } of all) {
        if (written.has(comment.id)) continue
        written.add(comment.id)
        const parent = comment.parent_id.startsWith("t1_") ? RedditThing.idOf(comment.parent_id) : undefined
        rows.push({
          externalId: comment.id,
          // A reply to the post, or to a comment the tree does not hold, hangs from the item itself.
          parentExternalId: parent !== undefined && present.has(parent) ? parent : null,
          author: comment.author ?? null,
          bodyText: comment.body ?? null,
          publishedAt: fromEpochSeconds(comment.created_utc) ?? null,
          deleted: isDeleted(comment),
          artifact
        })
      }
      draft.comments = rows
      return draft.finish()
    })
  )

/** The version of this transform's rows (bump it in `RedditNames.ts`). */
export const VERSION = RedditNames.TRANSFORM_VERSION

export const reddit: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: VERSION,
  transform: (artifacts, options) =>
    artifacts.item.externalId.startsWith("_")
      ? transformListing(artifacts, options)
      : transformThread(artifacts, options)
}
