/**
 * Feeds (`feed`). Two kinds of folders:
 *
 * - a feed's own folder holds its documents as fetched (`feed@<stamp>.xml`, any extension): it is not
 *   an item; the newest document's entries become `pending` items (keyed `<feed url> <guid>`, or the
 *   bare guid of a folder an earlier version stored: `FeedEntryId`) with their title and link, until
 *   their own folder is transformed;
 * - an entry's folder holds `entry.json` (the entry as the fetch side recorded it from the feed: every
 *   field it carries), `article.html` (the linked page), `audio.<ext>`/`video.<ext>` (enclosures),
 *   `transcript.json` (Whisper verbose_json), `enrichment-prompt.json` + `enrichment-response.json`,
 *   `fetch-error@<stamp>.json` records.
 *
 * Which text is the body (`body_text`), and which is kept beside it (`secondary_text`, searchable too):
 * 1. a transcript, when there is one: a podcast is its audio (the show notes become the secondary text);
 * 2. else the entry's own text (its content, else its description), which is what the author published
 *    in the feed, without the page's navigation and comments, unless the linked article's text is more
 *    than twice as long: then the entry's text was a teaser and the article wins;
 * 3. else the article's text.
 * Every text that did not win is the secondary text, so nothing the source said is lost from silver.
 * The title, authors and time are the entry's, else the article's; the language is the entry's, else
 * the feed's, else the one detected on the body (the transcript's when the body is a transcript).
 *
 * `entry.json` written before entries carried their text (no `authors` field) is completed from the feed
 * document version it names, so a backfill brings the text of entries fetched by earlier versions.
 */
import { Effect, Schema } from "effect"
import type { Item } from "@medallion/silver"
import * as FeedDocument from "../../extract/FeedDocument.ts"
import * as FeedSource from "../../fetch/FeedSource.ts"
import * as HtmlText from "../../extract/HtmlText.ts"
import * as JsonArtifact from "../../extract/JsonArtifact.ts"
import * as Language from "../../extract/Language.ts"
import * as FeedEntryId from "../../fetch/FeedEntryId.ts"
import * as Extraction from "../../extract/Extraction.ts"
import { ItemDraft } from "../ItemDraft.ts"
import * as BuiltInVersions from "../BuiltInVersions.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "feed"

/** The artifact name of a feed document in a feed's folder. */
export const FEED_DOCUMENT = "feed"

/** A feed's folder: `_feed:<feed url>`. */
const feedFolder = (feedUrl: string) => ({ sourceType: SOURCE_TYPE, externalId: `_feed:${feedUrl}` })

const Enclosure = Schema.Struct({
  url: Schema.String,
  type: Schema.optional(Schema.NullOr(Schema.String)),
  length: Schema.optional(Schema.NullOr(Schema.Number))
})

const EntryText = Schema.Struct({ value: Schema.String, type: Schema.Literals(["html", "text"]) })

/** `entry.json`, read leniently: the fields the transform uses, anything else ignored. */
export const EntryRecord = Schema.Struct({
  feedUrl: Schema.optional(Schema.NullOr(Schema.String)),
  feedArtifact: Schema.optional(Schema.NullOr(Schema.String)),
  feedTitle: Schema.optional(Schema.NullOr(Schema.String)),
  feedLanguage: Schema.optional(Schema.NullOr(Schema.String)),
  guid: Schema.optional(Schema.NullOr(Schema.String)),
  title: Schema.optional(Schema.NullOr(Schema.String)),
  link: Schema.optional(Schema.NullOr(Schema.String)),
  published: Schema.optional(Schema.NullOr(Schema.String)),
  content: Schema.optional(Schema.NullOr(EntryText)),
  /** A description; a bare string is HTML, as RSS descriptions are. */
  summary: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, EntryText]))),
  author: Schema.optional(Schema.NullOr(Schema.String)),
  authors: Schema.optional(Schema.Array(Schema.String)),
  categories: Schema.optional(Schema.Array(Schema.String)),
  language: Schema.optional(Schema.NullOr(Schema.String)),
  enclosures: Schema.optional(Schema.Array(Enclosure))
})
type EntryRecord = typeof EntryRecord.Type
const decodeEntry = JsonArtifact.decode(EntryRecord, "feed entry record")

const mediaKind = (type: string | null | undefined): Item.MediaKind => {
  const major = (type ?? "").split("/")[0]
  return major === "audio" || major === "video" || major === "image" ? major : "other"
}

const orUndefined = <A>(a: A | null | undefined): A | undefined => (a === null ? undefined : a)

const asText = (
  value: string | FeedDocument.EntryText | null | undefined,
  type: FeedDocument.EntryText["type"] = "html"
) => (value === null || value === undefined ? undefined : typeof value === "string" ? { value, type } : value)

/** The entry's own text wins over the linked article's unless the article's is more than this many times longer. */
const TEASER_RATIO = 2

/** Texts joined as paragraphs, the ones equal to an earlier one left out. */
const joinDistinct = (texts: ReadonlyArray<string | undefined>): string | undefined => {
  const kept: Array<string> = []
  for (const t of texts) if (t !== undefined && t.length > 0 && !kept.includes(t)) kept.push(t)
  return kept.length === 0 ? undefined : kept.join("\n\n")
}

const transformFeed: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const document = yield* draft.decodeDocument(FEED_DOCUMENT, options.maxFeedBytes, (contentType) =>
        Extraction.feed({ contentType, maxBytes: options.maxFeedBytes })
      )
      if (document?._tag === "Bad") draft.mainFailure = document.reason
      if (document?._tag === "Ok") {
        const feedUrl = artifacts.item.externalId.replace(/^_feed:/, "")
        const seen = new Set<string>()
        const entries = document.value.entries.filter((entry) => !seen.has(entry.guid) && seen.add(entry.guid))
        const listed = yield* Effect.forEach(
          entries,
          (entry) =>
            Effect.map(
              draft.readBronze(`the folder of ${entry.guid}`, FeedEntryId.resolve(feedUrl, entry.guid)),
              (externalId): Item.DiscoveredItem => ({
                sourceType: SOURCE_TYPE,
                externalId,
                title: entry.title ?? null,
                url: entry.link ?? null
              })
            ),
          { concurrency: 8 }
        )
        draft.discovered = yield* draft.selectDiscovered(listed)
      }
      return yield* draft.finishDiscovery([FEED_DOCUMENT])
    })
  )

/**
 * An `entry.json` from before entries carried their fields: the entry as the feed document it names
 * gives it. `undefined` when that document is gone or no longer holds the entry.
 */
const completeLegacyRecord = (draft: ItemDraft, record: EntryRecord) =>
  Effect.gen(function* () {
    const feedUrl = orUndefined(record.feedUrl)
    const location = orUndefined(record.feedArtifact)
    const guid = orUndefined(record.guid)
    if (feedUrl === undefined || location === undefined || guid === undefined) return undefined
    const folder = yield* draft.listItem(feedFolder(feedUrl))
    const info = folder.versions(FEED_DOCUMENT).find((i) => i.location === location)
    if (info === undefined) return undefined
    const contentType = yield* draft.contentTypeOf(info, folder)
    const parsed = yield* draft.decode(
      info,
      draft.options.maxFeedBytes,
      Extraction.feed({ contentType, maxBytes: draft.options.maxFeedBytes, baseUrl: feedUrl })
    )
    if (parsed._tag === "Bad") {
      draft.problems.push(`the entry's text could not be read from its feed document: ${parsed.reason}`)
      return undefined
    }
    const entry = parsed.value.entries.find((e) => e.guid === guid)
    if (entry === undefined) return undefined
    return {
      ...FeedDocumentRecord(parsed.value, entry),
      ...Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null))
    } satisfies EntryRecord
  })

const FeedDocumentRecord = (feed: FeedDocument.Feed, entry: FeedDocument.FeedEntry): EntryRecord => ({
  feedTitle: feed.title,
  feedLanguage: feed.language,
  title: entry.title,
  link: entry.link,
  published: entry.published,
  content: entry.content,
  summary: entry.summary,
  authors: entry.authors,
  categories: entry.categories,
  language: entry.language,
  enclosures: entry.enclosures
})

const transformEntry: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["entry", "article", "audio", "video"])
      const f = draft.fields
      let known: ReadonlyArray<Item.MediaInput> = []
      let content: string | undefined
      let description: string | undefined
      let declaredLanguage: string | undefined
      const entryInfo = artifacts.newest("entry")
      if (entryInfo !== undefined) {
        const decoded = yield* draft.decode(entryInfo, options.maxJsonBytes, decodeEntry)
        if (decoded._tag === "Bad") draft.mainFailure = decoded.reason
        else {
          const e =
            decoded.value.authors === undefined
              ? ((yield* completeLegacyRecord(draft, decoded.value)) ?? decoded.value)
              : decoded.value
          f.title = orUndefined(e.title) === undefined ? undefined : HtmlText.toLine(e.title!)
          f.url = orUndefined(e.link)
          const authors = e.authors ?? []
          f.author = authors.length > 0 ? authors.join(", ") : orUndefined(e.author)
          draft.setPublished(e.published)
          f.categories = e.categories ?? []
          f.siteName = orUndefined(e.feedTitle)
          declaredLanguage = Language.normalize(e.language) ?? Language.normalize(e.feedLanguage)
          content = FeedDocument.textOf(orUndefined(e.content))
          description = FeedDocument.textOf(asText(e.summary))
          known = (e.enclosures ?? []).map((enc) => ({
            kind: mediaKind(enc.type),
            url: enc.url,
            mimeType: enc.type ?? null,
            bytes: enc.length !== null && enc.length !== undefined && enc.length >= 0 ? Math.round(enc.length) : null,
            artifact: null
          }))
        }
      }
      const entryText = content ?? description
      // A description next to a full content is the entry's teaser: its excerpt.
      if (content !== undefined && description !== undefined && description !== content) f.excerpt = description

      let article: { readonly text: string; readonly extractor: string; readonly lang: string | undefined } | undefined
      const page = yield* draft.decodeHtmlArticle("article")
      if (page !== undefined) {
        if (page._tag === "Bad") {
          if (entryInfo === undefined) draft.mainFailure = page.reason
          else draft.problems.push(page.reason)
        } else {
          const a = page.value
          article = { text: a.text, extractor: a.extractor, lang: Language.normalize(a.lang) }
          f.title ??= a.title
          f.author ??= a.byline
          f.excerpt ??= a.excerpt
          f.siteName ??= a.siteName
          if (f.publishedAt === undefined && f.publishedUnparsed === undefined) draft.setPublished(a.publishedTime)
        }
      }

      const transcript = yield* draft.deriveTranscript(known)
      if (transcript !== undefined) {
        f.bodyText = transcript
        f.extractor = "transcript"
        f.secondaryText = joinDistinct([entryText, article?.text])
        f.language = draft.transcriptLanguage ?? declaredLanguage
      } else if (
        entryText !== undefined &&
        (article === undefined || entryText.length * TEASER_RATIO >= article.text.length)
      ) {
        f.bodyText = entryText
        f.extractor = content !== undefined ? "feed-content" : "feed-summary"
        f.secondaryText = joinDistinct([article?.text])
        f.language = declaredLanguage ?? Language.detect(entryText) ?? article?.lang
      } else if (article !== undefined) {
        f.bodyText = article.text
        f.extractor = article.extractor
        f.secondaryText = joinDistinct([entryText])
        f.language = article.lang ?? declaredLanguage
      } else {
        f.language = declaredLanguage
      }
      yield* draft.deriveEnrichment()
      return draft.finish()
    })
  )

/** A feed's own folder (`_feed:<url>`), also before any document of it was stored (its fetch failed). */
const isFeedFolder = (artifacts: Parameters<SourceTransform["transform"]>[0]): boolean =>
  artifacts.newest(FEED_DOCUMENT) !== undefined || artifacts.item.externalId.startsWith(FeedSource.feedId(""))

/**
 * The version of this transform's rows, set in `BuiltInVersions.ts` (so it is registered without loading
 * this module): bump it there in the change that alters a row it writes for the same bronze bytes;
 * `medallion backfill --stale` then transforms again only this source's older items.
 */
export const VERSION = BuiltInVersions.FEED

export const feed: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: VERSION,
  transform: (artifacts, options) =>
    isFeedFolder(artifacts) ? transformFeed(artifacts, options) : transformEntry(artifacts, options)
}
