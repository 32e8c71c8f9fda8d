/**
 * Feeds (`feed`). Two kinds of folders:
 *
 * - a feed's own folder holds its documents as fetched (`feed@<stamp>.xml`, any extension): it is not
 *   an item; the newest document's entries become `pending` items (keyed by the entry's id, the GUID
 *   the fetch side uses) with their title and link, until their own folder is transformed;
 * - an entry's folder holds `entry.json` (the entry as the fetch side recorded it from the feed: title,
 *   link, published time, enclosures), `article.html` (the linked page), `audio.<ext>`/`video.<ext>`
 *   (enclosures), `transcript.json` (Whisper verbose_json), `enrichment-prompt.json` +
 *   `enrichment-response.json`, `fetch-error@<stamp>.json` records.
 *
 * An entry's body is its transcript when there is one (a podcast is its audio), else the article's text,
 * else the entry record's summary when it carries one. The title and time are the feed's, else the article's.
 */
import { Effect, Schema } from "effect"
import type { Item } from "@medallion/silver"
import * as FeedDocument from "../../extract/FeedDocument.ts"
import * as FeedSource from "../../fetch/FeedSource.ts"
import * as JsonArtifact from "../../extract/JsonArtifact.ts"
import { ItemDraft, parseInstant } from "../ItemDraft.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "feed"

/** The artifact name of a feed document in a feed's folder. */
export const FEED_DOCUMENT = "feed"

const Enclosure = Schema.Struct({
  url: Schema.String,
  type: Schema.optional(Schema.NullOr(Schema.String)),
  length: Schema.optional(Schema.NullOr(Schema.Number))
})

/** `entry.json`, read leniently: the fields the transform uses, anything else ignored. */
export const EntryRecord = Schema.Struct({
  guid: Schema.optional(Schema.NullOr(Schema.String)),
  title: Schema.optional(Schema.NullOr(Schema.String)),
  link: Schema.optional(Schema.NullOr(Schema.String)),
  published: Schema.optional(Schema.NullOr(Schema.String)),
  summary: Schema.optional(Schema.NullOr(Schema.String)),
  author: Schema.optional(Schema.NullOr(Schema.String)),
  enclosures: Schema.optional(Schema.Array(Enclosure))
})
const decodeEntry = JsonArtifact.decode(EntryRecord, "feed entry record")

const mediaKind = (type: string | null | undefined): Item.MediaKind => {
  const major = (type ?? "").split("/")[0]
  return major === "audio" || major === "video" || major === "image" ? major : "other"
}

const orUndefined = <A>(a: A | null | undefined): A | undefined => (a === null ? undefined : a)

/** Entry summaries are often HTML: keep their text. */
const plain = (html: string | undefined): string | undefined =>
  html === undefined
    ? undefined
    : html
        .replace(/<[^>]*>/g, " ")
        .replace(/\s+/g, " ")
        .trim() || undefined

const transformFeed: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const document = yield* draft.decodeDocument(FEED_DOCUMENT, options.maxFeedBytes, (bytes, contentType) =>
        FeedDocument.parse(bytes, { contentType, maxBytes: options.maxFeedBytes })
      )
      if (document?._tag === "Bad") draft.mainFailure = document.reason
      if (document?._tag === "Ok") {
        const seen = new Set<string>()
        draft.discovered = yield* draft.selectDiscovered(
          document.value.entries.flatMap((entry) => {
            if (seen.has(entry.guid)) return []
            seen.add(entry.guid)
            return [
              { sourceType: SOURCE_TYPE, externalId: entry.guid, title: entry.title ?? null, url: entry.link ?? null }
            ]
          })
        )
      }
      return yield* draft.finishDiscovery([FEED_DOCUMENT])
    })
  )

const transformEntry: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["entry", "article", "audio", "video"])
      const f = draft.fields
      let known: ReadonlyArray<Item.MediaInput> = []
      let summary: string | undefined
      const entryInfo = artifacts.newest("entry")
      if (entryInfo !== undefined) {
        const entry = yield* draft.decode(entryInfo, options.maxJsonBytes, decodeEntry)
        if (entry._tag === "Bad") draft.mainFailure = entry.reason
        else {
          const e = entry.value
          f.title = orUndefined(e.title)
          f.url = orUndefined(e.link)
          f.author = orUndefined(e.author)
          f.publishedAt = parseInstant(orUndefined(e.published))
          summary = plain(orUndefined(e.summary))
          known = (e.enclosures ?? []).map((enc) => ({
            kind: mediaKind(enc.type),
            url: enc.url,
            mimeType: enc.type ?? null,
            bytes: enc.length !== null && enc.length !== undefined && enc.length >= 0 ? Math.round(enc.length) : null,
            artifact: null
          }))
        }
      }

      let articleText: string | undefined
      const page = yield* draft.decodeHtmlArticle("article")
      if (page !== undefined) {
        if (page._tag === "Bad") {
          if (entryInfo === undefined) draft.mainFailure = page.reason
          else draft.problems.push(page.reason)
        } else {
          articleText = page.value.text
          f.title ??= page.value.title
          f.author ??= page.value.byline
          f.language = page.value.lang
          f.publishedAt ??= parseInstant(page.value.publishedTime)
        }
      }
      const transcript = yield* draft.deriveTranscript(known)
      f.bodyText = transcript ?? articleText ?? summary
      yield* draft.deriveEnrichment()
      return draft.finish()
    })
  )

/** A feed's own folder (`_feed:<url>`), also before any document of it was stored (its fetch failed). */
const isFeedFolder = (artifacts: Parameters<SourceTransform["transform"]>[0]): boolean =>
  artifacts.newest(FEED_DOCUMENT) !== undefined || artifacts.item.externalId.startsWith(FeedSource.feedId(""))

export const feed: SourceTransform = {
  sourceType: SOURCE_TYPE,
  transform: (artifacts, options) =>
    isFeedFolder(artifacts) ? transformFeed(artifacts, options) : transformEntry(artifacts, options)
}
