/**
 * Hacker News items (`hn`): `item.json` (the API's item; `item@<stamp>.json` when refetched),
 * `comments@<stamp>.json` (the comment tree as one JSON array of raw items; the newest that decodes
 * wins), `article.html` + `article-response.json` (the linked page and the response it came with: its
 * charset), and `fetch-error@<stamp>.json` records. The folder `_lists` holds list responses (`topstories@<stamp>.json`,
 * ...): it is not an item, its ids become `pending` items.
 *
 * Deleted and dead items are states, not errors: `fetch_status = gone` with the reason; a dead story keeps
 * its title and link. Deleted and dead comments stay as rows (`deleted = true`) so their replies keep
 * their parent.
 */
import { Effect } from "effect"
import type { Item } from "@medallion/silver"
import type * as HnItem from "../../extract/HnItem.ts"
import { fromEpochSeconds, ItemDraft } from "../ItemDraft.ts"
import * as ArtifactSet from "../ArtifactSet.ts"
import * as Extraction from "../../extract/Extraction.ts"
import * as BuiltInVersions from "../BuiltInVersions.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "hn"

/** The folder of list responses: its name starts with `_`, which no HN item id does. */
export const isListFolder = (externalId: string): boolean => externalId.startsWith("_")

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " }

const decodeEntities = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10)
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match
    }
    return ENTITIES[body.toLowerCase()] ?? match
  })

/**
 * HN's small HTML (`<p>` between paragraphs, `<a>`, `<i>`, `<pre><code>`, entities) as plain text:
 * paragraphs separated by blank lines, a link's text kept (HN shows the URL as the text).
 */
export const hnText = (html: string | undefined): string | undefined => {
  if (html === undefined) return undefined
  const text = html
    .replace(/<p\s*\/?>/gi, "\n\n")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/?(pre|code)[^>]*>/gi, "")
    .replace(/<[^>]*>/g, "")
  const paragraphs = decodeEntities(text)
    .split(/\n\s*\n/)
    .map((p) => p.replace(/[ \t\r\f\v]+/g, " ").trim())
    .filter((p) => p.length > 0)
  return paragraphs.length === 0 ? undefined : paragraphs.join("\n\n")
}

const commentRows = (
  comments: ReadonlyArray<HnItem.HnComment>,
  storyId: number,
  artifact: Item.ArtifactRef
): ReadonlyArray<Item.CommentInput> => {
  const present = new Set(comments.map((c) => c.id))
  return comments.map((c) => ({
    externalId: String(c.id),
    // A reply to the story, or to a comment the tree does not hold, hangs from the item itself.
    parentExternalId:
      c.parent === undefined || c.parent === storyId || !present.has(c.parent) ? null : String(c.parent),
    author: c.by ?? null,
    bodyText: hnText(c.text) ?? null,
    publishedAt: fromEpochSeconds(c.time) ?? null,
    deleted: c.state !== "live",
    artifact
  }))
}

const transformLists: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      const discovered: Array<{ sourceType: string; externalId: string }> = []
      const lists = draft.documentNames()
      for (const name of lists) {
        const list = artifacts.newest(name)!
        const decoded = yield* draft.decode(list, options.maxJsonBytes, Extraction.hnIds)
        if (decoded._tag === "Bad") {
          draft.problems.push(decoded.reason)
          continue
        }
        for (const id of decoded.value) {
          const externalId = String(id)
          if (Number.isSafeInteger(id) && id > 0 && !seen.has(externalId)) {
            seen.add(externalId)
            discovered.push({ sourceType: SOURCE_TYPE, externalId })
          }
        }
      }
      draft.discovered = yield* draft.selectDiscovered(discovered)
      return yield* draft.finishDiscovery(lists)
    })
  )

const transformStory: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["item", "article", "comments"])
      // `item.json`, or `item@<stamp>.json` when refetched: the newest that decodes.
      const decoded = yield* draft.decodeNewestGood("item", options.maxJsonBytes, Extraction.hnItem)
      if (decoded === undefined) return draft.finish()
      if (decoded._tag === "Bad") {
        draft.mainFailure = decoded.reason
        return draft.finish()
      }
      const item = decoded.value
      if (item === undefined) {
        draft.fetchStatus = "gone"
        draft.fetchError = `the Hacker News API has no item ${artifacts.item.externalId} (it answered null)`
        return draft.finish()
      }
      const f = draft.fields
      f.title = item.title
      f.url = item.url
      f.author = item.by
      f.publishedAt = fromEpochSeconds(item.time)
      f.bodyText = hnText(item.text)
      if (f.bodyText !== undefined) f.extractor = "hn-text"
      if (item.state !== "live" && draft.fetchStatus === "fetched") {
        draft.fetchStatus = "gone"
        draft.fetchError =
          item.state === "deleted"
            ? `item ${item.id} was deleted on Hacker News`
            : `item ${item.id} is dead on Hacker News (killed by moderators or flagged)`
      }

      const page = yield* draft.decodeHtmlArticle("article")
      if (page !== undefined) {
        if (page._tag === "Bad") draft.problems.push(page.reason)
        else {
          // The story's own text (Ask HN) is its body; a link post's body is the article's text.
          if (f.bodyText === undefined) {
            f.bodyText = page.value.text
            f.extractor = page.value.extractor
          }
          f.language = page.value.lang
          if (f.publishedAt === undefined) draft.setPublished(page.value.publishedTime)
        }
      }

      const comments = yield* draft.decodeNewestGood("comments", options.maxJsonBytes, Extraction.hnComments(item.id))
      if (comments?._tag === "Ok") {
        draft.comments = commentRows(comments.value, item.id, ArtifactSet.refOf(comments.info))
      } else if (comments?._tag === "Bad") {
        draft.problems.push(comments.reason)
        draft.comments = undefined
      }
      yield* draft.deriveEnrichment()
      return draft.finish()
    })
  )

/**
 * The version of this transform's rows, set in `BuiltInVersions.ts` (so it is registered without loading
 * this module): bump it there in the change that alters a row it writes for the same bronze bytes;
 * `medallion backfill --stale` then transforms again only this source's older items.
 */
export const VERSION = BuiltInVersions.HN

export const hn: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: VERSION,
  transform: (artifacts, options) =>
    isListFolder(artifacts.item.externalId) ? transformLists(artifacts, options) : transformStory(artifacts, options)
}
