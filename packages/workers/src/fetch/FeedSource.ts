/**
 * RSS / Atom / RDF / JSON feeds, podcasts included.
 *
 * Bronze layout (sourceType `feed`):
 * - `_feed:<feed url>/feed.xml` (then `feed@<stamp>.xml`): the feed document as
 *   received, a new version only when its bytes changed, with
 *   `feed-response.json` / `feed-response@<stamp>.json` beside it (final URL,
 *   status, headers: the charset and the ETag / Last-Modified used for the next
 *   conditional request live there); `selected.json` (`selected@<stamp>.json`): the entries handed on to be
 *   fetched (`maxEntries`);
 * - `<feed url> <guid>/entry.json`: a record per entry, written once: which
 *   feed document it came from, the feed's title and language, and every field
 *   of the entry (guid, title, link, published date as written, its content and
 *   description as the feed gives them, authors, categories, language,
 *   enclosures). It is derived, not raw: an entry's folder must say where its
 *   raw entry is (the feed document) and what to fetch for it, and carrying the
 *   entry's own fields spares the transform a parse of the whole feed per entry;
 * - `<feed url> <guid>/article.html` + `article-response.json`: the entry's link as received;
 * - `<feed url> <guid>/audio.<ext>` (or `video.<ext>`): the first media enclosure, streamed;
 *   `audio-declined.json` instead when the source does not fetch enclosures (`fetchMedia: false`);
 * - `fetch-error@<stamp>.json` on the feed or the entry when something failed.
 *
 * Entries are keyed by their feed and their guid (Atom id), else their link,
 * else enclosure URL, else a content hash (see `FeedDocument`, `FeedEntryId`):
 * two feeds that reuse a guid are two items. Folders stored under the bare
 * guid by earlier versions stay in use for their feed (`FeedEntryId.resolve`).
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, Duration, Effect, Option } from "effect"
import * as ExtractPool from "../extract/ExtractPool.ts"
import * as Extraction from "../extract/Extraction.ts"
import type * as FeedDocument from "../extract/FeedDocument.ts"
import { FetchHttp } from "../http/FetchHttp.ts"
import * as Declined from "./Declined.ts"
import * as FeedEntryId from "./FeedEntryId.ts"
import { SOURCE_TYPE } from "./FeedEntryId.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"
import { mediaKind } from "./MediaKind.ts"
import * as Selection from "./Selection.ts"
import * as SourceTypes from "./SourceTypes.ts"
import { type DiscoveredItem, type Source, itemResult, toSourceError } from "./Source.ts"

export { mediaKind }

export { SOURCE_TYPE }

/** The externalId under which a feed's documents are stored. */
export const feedId = SourceTypes.feedId

export interface FeedSourceOptions {
  readonly feeds: ReadonlyArray<string>
  /** Entries handed on per feed and discovery, in document order. */
  readonly maxEntries: number
  readonly fetchArticles: boolean
  readonly fetchMedia: boolean
  readonly maxMediaBytes: number
  readonly retryFailedAfter: Duration.Duration
  /**
   * The time budget of parsing one feed document. It holds when an `ExtractPool` is in the context (the
   * fetch daemon provides one): a document over it fails the feed with `extract-timeout`.
   */
  readonly extractTimeout: Duration.Duration
}

export const defaults: FeedSourceOptions = {
  feeds: [],
  maxEntries: 50,
  fetchArticles: true,
  fetchMedia: true,
  maxMediaBytes: 1024 * 1024 * 1024,
  retryFailedAfter: Duration.hours(1),
  extractTimeout: Duration.seconds(5)
}

/** What an entry's fetch needs and what the transform reads; the content of `entry.json`. */
export interface EntryRecord {
  readonly feedUrl: string
  /** The location of the feed document version the entry came from. */
  readonly feedArtifact: string
  readonly feedTitle: string | undefined
  readonly feedLanguage: string | undefined
  readonly guid: string
  readonly guidSource: FeedDocument.FeedEntry["guidSource"]
  readonly title: string | undefined
  readonly link: string | undefined
  /** As the feed writes it; the transform parses it. */
  readonly published: string | undefined
  readonly content: FeedDocument.EntryText | undefined
  readonly summary: FeedDocument.EntryText | undefined
  readonly authors: ReadonlyArray<string>
  readonly categories: ReadonlyArray<string>
  readonly language: string | undefined
  readonly enclosures: ReadonlyArray<FeedDocument.Enclosure>
}

/** The `entry.json` of one entry of a parsed feed document. */
export const entryRecord = (
  feedUrl: string,
  feedArtifact: string,
  feed: FeedDocument.Feed,
  entry: FeedDocument.FeedEntry
): EntryRecord => ({
  feedUrl,
  feedArtifact,
  feedTitle: feed.title,
  feedLanguage: feed.language,
  guid: entry.guid,
  guidSource: entry.guidSource,
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

export const make = (partial: Partial<FeedSourceOptions> = {}): Source<FetchHttp | BronzeWriter | BronzeReader> => {
  const options = { ...defaults, ...partial }

  /** Fetches one feed (conditionally), stores a changed document, returns its entries. */
  const discoverFeed = (url: string) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const feedItem = { sourceType: SOURCE_TYPE, externalId: feedId(url) }
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, feedItem.externalId)
      const lastDocument = ItemArtifacts.latest(infos, "feed")
      const headers = yield* ItemArtifacts.responseHeadersOf(infos, lastDocument)
      const response = yield* Effect.result(
        http.request({
          url,
          accept: "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5",
          ...ItemArtifacts.conditional(ItemArtifacts.isComplete(infos, lastDocument), headers)
        })
      )
      let bytes: Uint8Array
      let documentLocation: string
      let contentType: string | undefined
      let baseUrl = url
      if (response._tag === "Failure" || response.success.status === 304) {
        if (response._tag === "Failure")
          yield* ItemArtifacts.recordFailure(feedItem, ItemArtifacts.failureOf("feed", response.failure))
        else yield* ItemArtifacts.recordUnchanged(infos, feedItem, "feed", url)
        // Unchanged or unreachable: the entries of the last stored document are still the ones to fetch.
        if (lastDocument === undefined) return []
        bytes = yield* ItemArtifacts.readBytes(lastDocument.info.key)
        documentLocation = lastDocument.info.location
        contentType = headers["content-type"]
      } else {
        const ok = response.success
        bytes = ok.body
        contentType = ok.headers["content-type"]
        baseUrl = ok.url
        const ext = /json/.test(contentType ?? "") ? "json" : "xml"
        const written = yield* ItemArtifacts.putDocument(infos, feedItem, "feed", ext, ok)
        documentLocation = written?.document ?? lastDocument!.info.location
      }
      const parsed = yield* Effect.result(
        ExtractPool.run(Extraction.feed({ contentType, baseUrl }), bytes, options.extractTimeout)
      )
      if (parsed._tag === "Failure") {
        yield* ItemArtifacts.recordFailure(feedItem, {
          artifact: "feed",
          url,
          reason: parsed.failure.kind === "extract-timeout" ? "extract-timeout" : "invalid-response",
          message: parsed.failure.reason
        })
        return []
      }
      const feed = parsed.success
      const discovered = yield* Effect.forEach(
        feed.entries.slice(0, options.maxEntries),
        (entry) =>
          Effect.map(FeedEntryId.resolve(url, entry.guid), (externalId): DiscoveredItem => ({
            externalId,
            hints: { ...entryRecord(url, documentLocation, feed, entry) }
          })),
        { concurrency: 8 }
      )
      // The document lists more entries than are fetched: bronze says which, so silver can tell the others apart.
      if (discovered.length > 0)
        yield* Selection.record(feedItem, {
          limit: options.maxEntries,
          setting: "maxEntries",
          items: discovered.map((item) => item.externalId)
        })
      return discovered
    })

  const discover = Effect.map(Effect.forEach(options.feeds, discoverFeed, { concurrency: 4 }), (lists) =>
    lists.flat()
  ).pipe(Effect.mapError(toSourceError(SOURCE_TYPE)), Effect.withSpan("FeedSource.discover"))

  const fetchItem = (discovered: DiscoveredItem) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const writer = yield* ItemArtifacts.writer
      const item = { sourceType: SOURCE_TYPE, externalId: discovered.externalId }
      const written: Array<string> = []
      const result = itemResult(discovered.externalId, written)
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, discovered.externalId)
      const entryKey = { ...item, artifactType: "entry", ext: "json" }
      let entry = discovered.hints as EntryRecord | undefined
      if (ItemArtifacts.latest(infos, "entry") === undefined) {
        if (entry === undefined) return result("skipped", "no entry record and no hints")
        written.push((yield* ItemArtifacts.putJson(entryKey, entry)).location)
      } else if (entry === undefined) {
        entry = Option.getOrUndefined(yield* ItemArtifacts.readJson(entryKey)) as EntryRecord | undefined
        if (entry === undefined) return result("skipped", "unreadable entry record")
      }

      const now = yield* Clock.currentTimeMillis
      const lastFailure = ItemArtifacts.latest(infos, "fetch-error")
      const recentlyFailed =
        lastFailure !== undefined && now - lastFailure.at < Duration.toMillis(options.retryFailedAfter)
      let failed = 0

      if (
        options.fetchArticles &&
        entry.link !== undefined &&
        !ItemArtifacts.isComplete(infos, ItemArtifacts.latest(infos, "article")) &&
        !recentlyFailed
      ) {
        const page = yield* Effect.result(http.request({ url: entry.link, accept: "text/html,application/xhtml+xml" }))
        if (page._tag === "Failure") {
          written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("article", page.failure)))
          failed++
        } else {
          const stored = yield* ItemArtifacts.putDocument(infos, item, "article", "html", page.success)
          if (stored !== undefined) written.push(...stored.written)
        }
      }

      const media = entry.enclosures
        .map((e) => ({ enclosure: e, kind: mediaKind(e) }))
        .find((m) => m.kind !== undefined)
      const hasMedia = infos.some((i) => i.key.artifactType === "audio" || i.key.artifactType === "video")
      if (options.fetchMedia && media !== undefined && media.kind !== undefined && !hasMedia && !recentlyFailed) {
        const key = { ...item, artifactType: media.kind.kind, ext: media.kind.ext }
        const stored = yield* Effect.result(
          Effect.scoped(
            Effect.flatMap(http.stream({ url: media.enclosure.url, maxBytes: options.maxMediaBytes }), (response) =>
              writer.putStream(key, response.body)
            )
          )
        )
        if (stored._tag === "Failure") {
          const error = stored.failure
          if (error._tag === "FetchError") {
            written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf(media.kind.kind, error)))
            failed++
          } else {
            return yield* error
          }
        } else {
          written.push(stored.success.location)
        }
      } else if (!options.fetchMedia && media?.kind !== undefined && !hasMedia) {
        // Not fetched on purpose: silver says so (transcription skipped) rather than waiting for it.
        const declined = yield* Declined.record(item, infos, {
          artifact: media.kind.kind,
          url: media.enclosure.url,
          reason: "disabled",
          message: "the source does not fetch enclosures (fetchEnclosures: false)"
        })
        if (declined !== undefined) written.push(declined)
      }
      // The record of a declined enclosure is written, but nothing was fetched for it.
      const fetched = written.filter((location) => !location.endsWith("-declined.json"))
      if (fetched.length === 0) return result("skipped", recentlyFailed ? "failed recently" : "up to date")
      return result(failed > 0 ? "failed" : "fetched", failed > 0 ? "some artifacts could not be fetched" : undefined)
    }).pipe(Effect.mapError(toSourceError(SOURCE_TYPE, discovered.externalId)), Effect.withSpan("FeedSource.fetchItem"))

  return { sourceType: SOURCE_TYPE, discover, fetchItem }
}
