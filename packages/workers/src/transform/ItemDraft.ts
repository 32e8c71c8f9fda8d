/**
 * The rows of one item while its source transform builds them. It reads artifacts (recording each as
 * provenance), collects what went wrong without stopping, and derives the statuses that every source
 * shares: fetch status from content artifacts and `fetch-error` records, transcription status from media
 * and `transcript` artifacts, enrichment rows from `enrichment-response` artifacts. `finish` turns it
 * into `ItemRows`; the same bronze bytes always give the same rows.
 */
import { DateTime, Effect, Metric, Schema } from "effect"
import { type ArtifactInfo, type BronzeIoError, BronzeReader, type ItemKey } from "@medallion/bronze"
import type { Item, Status } from "@medallion/silver"
import type * as HtmlArticle from "../extract/HtmlArticle.ts"
import type { ExtractError } from "../extract/ExtractError.ts"
import * as Instant from "../extract/Instant.ts"
import * as JsonArtifact from "../extract/JsonArtifact.ts"
import * as Language from "../extract/Language.ts"
import * as ArtifactSet from "./ArtifactSet.ts"
import * as Extraction from "../extract/Extraction.ts"
import * as ExtractPool from "../extract/ExtractPool.ts"
import type { ItemRows, TransformOutcome } from "./ItemRows.ts"
import { DEFAULT_EXTRACT_TIMEOUT, type TransformOptions } from "./TransformOptions.ts"
import { TRANSFORM_VERSION } from "./TransformVersion.ts"

/** Items whose published date was kept as written because no form of `Instant` read it. */
const unparsedDates = Metric.counter("transform_unparsed_dates_total", {
  description: "Items transformed with a published date that could not be parsed (kept as written), by source"
})

/** silver stores at most 2,000 characters of a reason. */
export const MAX_REASON_LENGTH = 2000

export const clip = (reason: string): string =>
  reason.length <= MAX_REASON_LENGTH ? reason : reason.slice(0, MAX_REASON_LENGTH - 1) + "…"

export type Decoded<A> =
  | { readonly _tag: "Ok"; readonly value: A; readonly info: ArtifactInfo }
  | { readonly _tag: "Bad"; readonly reason: string; readonly info: ArtifactInfo }

/** The fields of an item row a source fills in. */
export interface ItemFields {
  title?: string | undefined
  url?: string | undefined
  author?: string | undefined
  publishedAt?: DateTime.Utc | undefined
  language?: string | undefined
  bodyText?: string | undefined
  excerpt?: string | undefined
  siteName?: string | undefined
  categories?: ReadonlyArray<string> | undefined
  secondaryText?: string | undefined
  extractor?: string | undefined
  publishedUnparsed?: string | undefined
}

/** A `fetch-error@<stamp>.json` record, read leniently: any JSON object with some of these fields. */
const FetchErrorRecord = Schema.Struct({
  /** The artifact the failed fetch was for (`item`, `article`, ...). */
  artifact: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number)
})
const decodeFetchErrorRecord = JsonArtifact.decode(FetchErrorRecord, "fetch-error record")

/** `selected@<stamp>.json` beside discovery documents: the items the fetch side hands on (`Selection`). */
const SelectionRecord = Schema.Struct({
  limit: Schema.Number,
  setting: Schema.optional(Schema.String),
  items: Schema.Array(Schema.String)
})
const decodeSelection = JsonArtifact.decode(SelectionRecord, "selection record")

/** `<name>-response.json` beside a fetched document: the response's final URL, status and headers. */
const ResponseRecord = Schema.Struct({
  url: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  headers: Schema.optional(Schema.Record(Schema.String, Schema.String))
})
const decodeResponseRecord = JsonArtifact.decode(ResponseRecord, "response record")

export const fromEpochSeconds = (seconds: number | undefined): DateTime.Utc | undefined =>
  seconds === undefined || !Number.isFinite(seconds) || seconds < 0 ? undefined : DateTime.makeUnsafe(seconds * 1000)

const nonEmpty = (s: string | undefined): string | undefined => {
  if (s === undefined) return undefined
  const t = s.trim()
  return t.length === 0 ? undefined : t
}

/** A failure record, read. */
export interface FailureRecord {
  readonly info: ArtifactInfo
  /** What the failed attempt was for (`item`, `article`, `transcript`, `enrichment`...). */
  readonly artifact: string | undefined
  /** The URL the failed attempt requested, when the record says. */
  readonly url?: string | undefined
  /** The source answered 404 or 410. */
  readonly gone: boolean
  /** Refused on purpose rather than failed: robots.txt, a size limit, a refused address or scheme. */
  readonly refused: boolean
  readonly reason: string
}

/** Reasons of the fetch side's records for work it declined on purpose (silver's `skipped`). */
const REFUSALS: ReadonlySet<string> = new Set(["robots-disallowed", "too-large", "address-refused", "scheme-refused"])

/** The suffix of the fetch side's record of a success with nothing new to store (`feed-unchanged@<stamp>`). */
const UNCHANGED = "-unchanged"

/** The suffix of the fetch side's record of work it does not do by configuration (`audio-declined`). */
const DECLINED = "-declined"

/** The fetch side's record of the items a discovery hands on to be fetched. */
const SELECTED = "selected"

/**
 * The fetch side's records next to documents: failures, unchanged successes, declined work, the
 * selection, response metadata.
 */
export const isRecordName = (name: string): boolean =>
  name === "fetch-error" ||
  name === SELECTED ||
  name.endsWith(UNCHANGED) ||
  name.endsWith(DECLINED) ||
  name.endsWith("-response")

/** Failures of work done after the fetch (transcription, enrichment): not the item's fetch. */
const isAfterFetch = (artifact: string | undefined): boolean =>
  artifact !== undefined && (artifact === "transcript" || artifact.startsWith("enrichment"))

/**
 * How an artifact's bytes become a value: a function run inline, or a named `Extraction` that runs in the
 * context's `ExtractPool` (a worker thread, within the extraction budget) when there is one.
 */
export type Extractor<A> = ((bytes: Uint8Array) => Effect.Effect<A, ExtractError>) | Extraction.Extraction<A>

/** Ends a read: the store failed, not the item. */
class Unreadable {
  readonly reason: string
  constructor(reason: string) {
    this.reason = reason
  }
}

export class ItemDraft {
  readonly key: ItemKey
  readonly artifacts: ArtifactSet.ArtifactSet
  readonly options: TransformOptions
  readonly fields: ItemFields = {}
  /**
   * Child rows. `undefined` means "could not be derived" (every version of the artifact was bad): the
   * rows are left out of the upsert so that silver keeps the ones it has.
   */
  comments: ReadonlyArray<Item.CommentInput> | undefined = []
  segments: ReadonlyArray<Item.SegmentInput> | undefined = []
  media: ReadonlyArray<Item.MediaInput> | undefined = []
  enrichments: ReadonlyArray<Item.EnrichmentInput> | undefined = []
  discovered: ReadonlyArray<Item.DiscoveredItem> = []
  fetchStatus: Status.FetchStatus = "pending"
  fetchError: string | undefined = undefined
  transcriptionStatus: Status.TranscriptionStatus = "not_applicable"
  transcriptionError: string | undefined = undefined
  /** The main artifact failed: the whole item is `failed`. */
  mainFailure: string | undefined = undefined
  /** The language the transcription detected, when `deriveTranscript` found a transcript. */
  transcriptLanguage: string | undefined = undefined
  /** Another artifact failed: the item is `partial`. */
  readonly problems: Array<string> = []
  private readonly used = new Map<string, ArtifactInfo>()
  private unreadable: Unreadable | undefined = undefined

  constructor(artifacts: ArtifactSet.ArtifactSet, options: TransformOptions) {
    this.key = artifacts.item
    this.artifacts = artifacts
    this.options = options
  }

  /** Reads and decodes one artifact; records it as provenance. A store failure ends the item's transform. */
  decode<A>(
    info: ArtifactInfo,
    maxBytes: number,
    extract: Extractor<A>
  ): Effect.Effect<Decoded<A>, Unreadable, BronzeReader> {
    this.used.set(info.location, info)
    const budget = this.options.extractTimeout ?? DEFAULT_EXTRACT_TIMEOUT
    const run = (bytes: Uint8Array): Effect.Effect<A, ExtractError> =>
      Extraction.isExtraction(extract) ? ExtractPool.run(extract, bytes, budget) : Effect.suspend(() => extract(bytes))
    return Effect.flatMap(ArtifactSet.read(info, maxBytes), (result): Effect.Effect<Decoded<A>, Unreadable> => {
      switch (result._tag) {
        case "Io":
          return Effect.fail(new Unreadable(result.reason))
        case "Oversized":
          return Effect.succeed({ _tag: "Bad", reason: result.reason, info })
        case "Bytes":
          return run(result.bytes).pipe(
            Effect.map((value): Decoded<A> => ({ _tag: "Ok", value, info })),
            Effect.catch((error) =>
              Effect.succeed<Decoded<A>>({
                _tag: "Bad",
                reason: `${ArtifactSet.describe(info)}: ${error.reason}`,
                info
              })
            ),
            // A parser that throws on hostile bytes is still this artifact's bad input, not the batch's.
            Effect.catchDefect((defect) =>
              Effect.succeed<Decoded<A>>({
                _tag: "Bad",
                reason: `${ArtifactSet.describe(info)}: the extractor failed on these bytes: ${defect instanceof Error ? defect.message : String(defect)}`,
                info
              })
            )
          )
      }
    })
  }

  /**
   * The newest version of `name` that decodes. When newer versions are bad, the reason names them and
   * the item is `partial`: a broken refetch never wipes what an older good version gave.
   */
  decodeNewestGood<A>(
    name: string,
    maxBytes: number,
    extract: Extractor<A>
  ): Effect.Effect<Decoded<A> | undefined, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const bad: Array<Decoded<A>> = []
      for (const info of self.artifacts.versions(name)) {
        const decoded = yield* self.decode(info, maxBytes, extract)
        if (decoded._tag === "Ok") {
          for (const b of bad)
            if (b._tag === "Bad") self.problems.push(`${b.reason} (kept ${ArtifactSet.describe(info)})`)
          return decoded
        }
        bad.push(decoded)
      }
      return bad[0]
    })
  }

  private failureRecords: ReadonlyArray<FailureRecord> | undefined = undefined

  /**
   * The item's `fetch-error@<stamp>.json` records, newest first, each read once. The fetch side writes
   * one for every failed attempt: of the item's content, of its transcription (`artifact: "transcript"`)
   * or of its enrichment (`artifact: "enrichment"`).
   */
  failures(): Effect.Effect<ReadonlyArray<FailureRecord>, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      if (self.failureRecords !== undefined) return self.failureRecords
      const out: Array<FailureRecord> = []
      for (const info of self.artifacts.versions("fetch-error")) out.push(yield* self.readRecord(info))
      self.failureRecords = out
      return out
    })
  }

  /**
   * One of the fetch side's records (`fetch-error@<stamp>`, `<artifact>-declined`), read leniently, its
   * reason as silver shows it: `artifact: reason: message (url)`.
   */
  readRecord(info: ArtifactInfo): Effect.Effect<FailureRecord, Unreadable, BronzeReader> {
    return Effect.map(this.decode(info, this.options.maxJsonBytes, decodeFetchErrorRecord), (decoded) => {
      if (decoded._tag === "Bad") {
        return {
          info,
          artifact: undefined,
          gone: false,
          refused: false,
          reason: `the record could not be read: ${decoded.reason}`
        }
      }
      const r = decoded.value
      const given = nonEmpty(r.message) ?? nonEmpty(r.error)
      // The status once: the fetch side's messages already start with it (`HTTP 400: unknown audio`).
      const status = r.status === undefined ? undefined : `HTTP ${r.status}`
      const message =
        status === undefined || given?.startsWith(status) ? given : given === undefined ? status : `${status}: ${given}`
      const said = [r.reason, message].filter((x) => x !== undefined && x.length > 0).join(": ")
      const text = [said, r.url === undefined ? undefined : `(${r.url})`]
        .filter((x) => x !== undefined && x.length > 0)
        .join(" ")
      return {
        info,
        artifact: r.artifact,
        url: r.url,
        gone: r.status === 404 || r.status === 410,
        refused: r.reason !== undefined && REFUSALS.has(r.reason),
        reason: `${r.artifact === undefined ? "" : `${r.artifact}: `}${text.length > 0 ? text : "failed"}`
      }
    })
  }

  /**
   * Fetch status from what bronze holds: `fetched` when one of `contentNames` (the main one first) is
   * present, `failed` with the record's reason when a fetch-error record of the content (not of a
   * transcription or an enrichment) is newer than all of them (`gone` when the main artifact answered
   * 404/410, `skipped` when the fetch side declined: robots.txt, a size limit, a refused address),
   * `pending` when there is nothing yet.
   */
  deriveFetchStatus(contentNames: ReadonlyArray<string>): Effect.Effect<void, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      // A fetch that succeeded with nothing new to store (`<name>-unchanged`) counts as the content's newest.
      const contents = contentNames.flatMap((name) => [self.lastSuccess(name)].filter((i) => i !== undefined))
      const newestContent = contents.reduce<ArtifactInfo | undefined>(
        (a, b) => (a === undefined || b.writtenAt > a.writtenAt ? b : a),
        undefined
      )
      if (newestContent !== undefined && ArtifactSet.artifactName(newestContent.key.artifactType).endsWith(UNCHANGED))
        self.use(newestContent)
      const fetchFailure = (yield* self.failures()).find((f) => !isAfterFetch(f.artifact))
      if (
        fetchFailure !== undefined &&
        (newestContent === undefined || fetchFailure.info.writtenAt >= newestContent.writtenAt)
      ) {
        // 404/410 for the item's main artifact: the source no longer has the item.
        const main = fetchFailure.artifact === undefined || fetchFailure.artifact === contentNames[0]
        self.fetchStatus = main && fetchFailure.gone ? "gone" : fetchFailure.refused ? "skipped" : "failed"
        self.fetchError = clip(`${fetchFailure.reason} [${ArtifactSet.describe(fetchFailure.info)}]`)
        return
      }
      if (newestContent !== undefined) {
        self.fetchStatus = "fetched"
        self.fetchError = undefined
      }
    })
  }

  /**
   * The newest sign that fetching `name` succeeded: its newest version, or a newer `<name>-unchanged`
   * record (the fetch side's record of a success that had nothing new to store, written when it
   * supersedes a failure).
   */
  lastSuccess(name: string): ArtifactInfo | undefined {
    const stored = this.artifacts.newest(name)
    const unchanged = this.artifacts.newest(`${name}${UNCHANGED}`)
    if (stored === undefined) return unchanged
    return unchanged !== undefined && unchanged.writtenAt > stored.writtenAt ? unchanged : stored
  }

  /**
   * The names of the folder's documents: every artifact name but the fetch side's records (failures,
   * `-unchanged` successes, `-response` metadata).
   */
  documentNames(): ReadonlyArray<string> {
    return this.artifacts.names.filter((name) => !isRecordName(name))
  }

  /**
   * The items this discovery folder lists, as silver is to know them: `pending` when the fetch side
   * hands them on, `skipped` with the reason when its newest selection record (`selected@<stamp>`) says
   * they are listed beyond the source's limit. Without a selection record (a source that writes none),
   * every listed item is `pending`.
   */
  selectDiscovered(
    listed: ReadonlyArray<Item.DiscoveredItem>
  ): Effect.Effect<ReadonlyArray<Item.DiscoveredItem>, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const info = self.artifacts.newest(SELECTED)
      if (info === undefined) return listed
      const selection = yield* self.decode(info, self.options.maxJsonBytes, decodeSelection)
      if (selection._tag === "Bad") {
        self.problems.push(selection.reason)
        return listed
      }
      const { limit, setting, items } = selection.value
      const selected = new Set(items)
      const reason = `listed, but beyond the source's limit of ${limit} item(s)${setting === undefined ? "" : ` (${setting})`} [${ArtifactSet.describe(info)}]`
      return listed.map((item) =>
        selected.has(item.externalId) ? item : { ...item, fetchStatus: "skipped" as const, fetchError: reason }
      )
    })
  }

  /**
   * Ends the transform of a folder that only discovers (a feed's documents, Hacker News lists, a
   * sitemap): its items are `discovered`, and the folder itself is no item. But when its discovery
   * failed, silver must say so: a document of `documents` (or one a failure record names) whose newest
   * failure record is newer than its last success, or whose newest version did not decode (what the
   * source put in `mainFailure` / `problems`), makes the folder a row of its own with
   * `fetch_status = failed` and the reasons. Once every document fetches and decodes again, the row (if
   * silver has one) becomes `fetched`: the next successful discovery supersedes the failure. Either way
   * the run succeeds: a source's failure is the folder's state, not a transform to retry.
   */
  finishDiscovery(documents: ReadonlyArray<string>): Effect.Effect<ItemRows, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const failures = (yield* self.failures()).filter((f) => !isAfterFetch(f.artifact))
      const names = new Set([...documents, ...failures.flatMap((f) => (f.artifact === undefined ? [] : [f.artifact]))])
      const current: Array<FailureRecord> = []
      for (const name of names) {
        const success = self.lastSuccess(name)
        const failure = failures.find((f) => f.artifact === name || f.artifact === undefined)
        if (failure !== undefined && (success === undefined || failure.info.writtenAt >= success.writtenAt)) {
          current.push(failure)
          self.use(failure.info)
        }
      }
      const decodeReasons = [self.mainFailure, ...self.problems].filter((r): r is string => r !== undefined)
      // The fetch side's records say what failed first; the transform's own reading when it has none.
      const reasons =
        current.length > 0 ? current.map((f) => `${f.reason} [${ArtifactSet.describe(f.info)}]`) : decodeReasons
      self.mainFailure = undefined
      self.problems.length = 0
      const rows = self.finish(false)
      if (rows.outcome === "unreadable") return rows
      const key = { sourceType: self.key.sourceType, externalId: self.key.externalId }
      if (reasons.length === 0) {
        const recovered: Item.StatusUpdate = {
          ...key,
          fetchStatus: "fetched",
          fetchError: null,
          transformStatus: "transformed",
          transformError: null,
          transformVersion: self.options.transformVersion ?? TRANSFORM_VERSION
        }
        return { ...rows, ifKnown: recovered }
      }
      const failed = self.finish(true).item!
      return {
        ...rows,
        item: {
          ...failed,
          url: failed.url ?? current.find((f) => f.url !== undefined)?.url ?? null,
          fetchStatus: "failed",
          fetchError: clip(reasons.join("; ")),
          transformStatus: "transformed",
          transformError: null
        }
      }
    })
  }

  /**
   * Media, transcript and transcription status. `audio`/`video` artifacts are media rows; a `transcript`
   * (Whisper verbose_json) gives the segments and its text; without one, a fetch-error record of the
   * transcription (`artifact: "transcript"`) marks it failed with the reason (`skipped` when the media
   * was over the API's size limit), and a record that the fetch side does not transcribe
   * (`transcript-declined`) or does not download the media (`audio-declined`, `video-declined`) marks it
   * `skipped` with that reason. Only audio and video are transcribed: an item whose enclosures are
   * images (or anything else) is `not_applicable`. `known` are media the source lists (e.g. a feed
   * enclosure) before they are downloaded.
   */
  deriveTranscript(
    known: ReadonlyArray<Item.MediaInput> = []
  ): Effect.Effect<string | undefined, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const files = ["audio", "video"].flatMap((kind) => {
        const info = self.artifacts.newest(kind)
        return info === undefined ? [] : [{ kind: kind as "audio" | "video", info }]
      })
      for (const f of files) self.used.set(f.info.location, f.info)
      const downloaded: Array<Item.MediaInput> = files.map(({ kind, info }) => ({
        kind,
        url: known.find((m) => m.kind === kind)?.url ?? null,
        mimeType: known.find((m) => m.kind === kind)?.mimeType ?? null,
        bytes: info.size,
        artifact: ArtifactSet.refOf(info)
      }))
      const pendingKnown = known.filter((m) => !downloaded.some((d) => d.kind === m.kind))
      self.media = [...downloaded, ...pendingKnown]

      const transcript = yield* self.decodeNewestGood(
        "transcript",
        self.options.maxJsonBytes,
        Extraction.whisperTranscript
      )
      if (transcript?._tag === "Ok") {
        const t = transcript.value
        const ref = ArtifactSet.refOf(transcript.info)
        self.segments = t.segments.map((s) => ({
          startSeconds: Math.max(0, s.start),
          endSeconds: Math.max(0, s.start, s.end),
          text: s.text,
          language: s.language ?? null,
          artifact: ref
        }))
        self.transcriptLanguage = t.language
        self.transcriptionStatus = "transcribed"
        self.transcriptionError = undefined
        if (files.length > 0) {
          self.media = downloaded
            .concat(pendingKnown)
            .map((m) => (m.artifact !== undefined && m.artifact !== null ? { ...m, durationSeconds: t.duration } : m))
        }
        return nonEmpty(t.text)
      }
      if (transcript?._tag === "Bad") {
        self.transcriptionStatus = "failed"
        self.transcriptionError = clip(transcript.reason)
        self.segments = undefined
        return undefined
      }
      const failure = (yield* self.failures()).find((f) => f.artifact === "transcript")
      if (failure !== undefined) {
        self.transcriptionStatus = failure.refused ? "skipped" : "failed"
        self.transcriptionError = clip(`${failure.reason} [${ArtifactSet.describe(failure.info)}]`)
        return undefined
      }
      // Images and other enclosures are nothing to transcribe.
      const spoken = self.media.some((m) => m.kind === "audio" || m.kind === "video")
      // Declined by the fetch side's configuration: the transcription (media downloaded), or the media itself.
      const declined = (files.length > 0 ? ["transcript"] : spoken ? ["audio", "video"] : [])
        .map((artifact) => self.artifacts.newest(`${artifact}${DECLINED}`))
        .find((info) => info !== undefined)
      if (declined !== undefined) {
        const record = yield* self.readRecord(declined)
        self.transcriptionStatus = "skipped"
        self.transcriptionError = clip(`${record.reason} [${ArtifactSet.describe(declined)}]`)
        return undefined
      }
      self.transcriptionStatus = spoken ? "pending" : "not_applicable"
      self.transcriptionError = undefined
      return undefined
    })
  }

  /** The summary from the newest `enrichment-response` that decodes (its prompt stays in bronze). */
  deriveEnrichment(): Effect.Effect<void, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const response = yield* self.decodeNewestGood(
        "enrichment-response",
        self.options.maxJsonBytes,
        Extraction.chatCompletion
      )
      const prompt = self.artifacts.newest("enrichment-prompt")
      if (prompt !== undefined) self.used.set(prompt.location, prompt)
      if (response === undefined) return
      if (response._tag === "Bad") {
        self.problems.push(response.reason)
        self.enrichments = undefined
        return
      }
      self.enrichments = [
        {
          kind: "summary",
          model: (nonEmpty(response.value.model) ?? "unknown").slice(0, 200),
          summaryText: response.value.text,
          artifact: ArtifactSet.refOf(response.info)
        }
      ]
    })
  }

  /**
   * The Content-Type of the response `info` came with: the `<name>-response` record beside it (same
   * version stamp), as the fetch side stores it. `undefined` when there is none or it cannot be read.
   */
  contentTypeOf(
    info: ArtifactInfo,
    artifacts: ArtifactSet.ArtifactSet = this.artifacts
  ): Effect.Effect<string | undefined, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const name = ArtifactSet.artifactName(info.key.artifactType)
      const stamp = ArtifactSet.versionStamp(info.key.artifactType)
      const responseType = `${name}-response${stamp === "" ? "" : `@${stamp}`}`
      const response = artifacts.versions(`${name}-response`).find((r) => r.key.artifactType === responseType)
      if (response === undefined) return undefined
      const record = yield* self.decode(response, self.options.maxJsonBytes, decodeResponseRecord)
      if (record._tag === "Bad") return undefined
      const headers = record.value.headers ?? {}
      return Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1]
    })
  }

  /**
   * The newest version of a fetched document (`article`, `page`, `feed`, `sitemap`) that decodes, in the
   * charset its response record's Content-Type names (else its BOM, its own declaration, or detection).
   * Bad newer versions are reported as for `decodeNewestGood`.
   */
  decodeDocument<A>(
    name: string,
    maxBytes: number,
    extract: (contentType: string | undefined) => Extractor<A>
  ): Effect.Effect<Decoded<A> | undefined, Unreadable, BronzeReader> {
    const self = this
    return Effect.gen(function* () {
      const bad: Array<Decoded<A>> = []
      for (const info of self.artifacts.versions(name)) {
        const contentType = yield* self.contentTypeOf(info)
        const decoded = yield* self.decode(info, maxBytes, extract(contentType))
        if (decoded._tag === "Ok") {
          for (const b of bad)
            if (b._tag === "Bad") self.problems.push(`${b.reason} (kept ${ArtifactSet.describe(info)})`)
          return decoded
        }
        bad.push(decoded)
      }
      return bad[0]
    })
  }

  /** An HTML document through Readability (see `decodeDocument`). */
  decodeHtmlArticle(name: string): Effect.Effect<Decoded<HtmlArticle.Article> | undefined, Unreadable, BronzeReader> {
    const maxBytes = this.options.maxHtmlBytes
    return this.decodeDocument(name, maxBytes, (contentType) => Extraction.htmlArticle({ contentType, maxBytes }))
  }

  /**
   * Sets the published time from a date as the source wrote it. A date that cannot be parsed is kept as
   * written (`publishedUnparsed`) and logged, never dropped in silence.
   */
  setPublished(text: string | null | undefined): void {
    const written = nonEmpty(text ?? undefined)
    if (written === undefined) return
    const at = Instant.parse(written)
    this.fields.publishedAt = at
    this.fields.publishedUnparsed = at === undefined ? written.slice(0, 200) : undefined
  }

  /** A read of bronze beyond this item's artifacts; a store failure ends the item's transform like any read. */
  readBronze<A>(
    what: string,
    read: Effect.Effect<A, BronzeIoError, BronzeReader>
  ): Effect.Effect<A, Unreadable, BronzeReader> {
    return Effect.mapError(read, (error) => new Unreadable(`${what}: ${error.message}`))
  }

  /** The artifacts of another item's folder (a feed entry's feed document), listed once. */
  listItem(item: ItemKey): Effect.Effect<ArtifactSet.ArtifactSet, Unreadable, BronzeReader> {
    return this.readBronze(
      `${item.sourceType}/${item.externalId}`,
      Effect.map(
        Effect.flatMap(BronzeReader, (reader) => reader.listItem(item)),
        (infos) => ArtifactSet.fromList(item, infos)
      )
    )
  }

  /** Records an artifact as provenance without reading it. */
  use(info: ArtifactInfo): void {
    this.used.set(info.location, info)
  }

  /** The rows; `asItem: false` for a folder that is not an item (discovery lists only). */
  finish(asItem = true): ItemRows {
    if (this.unreadable !== undefined) return unreadableRows(this.key, this.unreadable.reason)
    const hasContent = this.fetchStatus === "fetched" || this.fetchStatus === "gone" || this.mainFailure !== undefined
    const outcome: TransformOutcome =
      this.mainFailure !== undefined ? "failed" : this.problems.length > 0 ? "partial" : "transformed"
    const reasons = [this.mainFailure, ...this.problems].filter((r): r is string => r !== undefined)
    const reason = reasons.length === 0 ? undefined : clip(reasons.join("; "))
    const f = this.fields
    const item: Item.ItemInput = {
      sourceType: this.key.sourceType,
      externalId: this.key.externalId,
      title: nonEmpty(f.title) ?? null,
      url: nonEmpty(f.url) ?? null,
      author: nonEmpty(f.author) ?? null,
      publishedAt: f.publishedAt ?? null,
      language: Language.normalize(f.language) ?? null,
      bodyText: nonEmpty(f.bodyText) ?? null,
      excerpt: nonEmpty(f.excerpt) ?? null,
      siteName: nonEmpty(f.siteName) ?? null,
      categories: (f.categories ?? []).map((c) => c.slice(0, 500)).slice(0, 200),
      secondaryText: nonEmpty(f.secondaryText) ?? null,
      extractor: f.extractor ?? null,
      publishedUnparsed: f.publishedAt === undefined ? (nonEmpty(f.publishedUnparsed) ?? null) : null,
      fetchStatus: this.fetchStatus,
      fetchError: this.fetchError ?? null,
      transcriptionStatus: this.transcriptionStatus,
      transcriptionError: this.transcriptionError ?? null,
      transformStatus: reason !== undefined ? "failed" : hasContent ? "transformed" : "pending",
      transformError: reason ?? null,
      transformVersion: this.options.transformVersion ?? TRANSFORM_VERSION,
      artifacts: Array.from(this.used.values())
        .sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
        .map(ArtifactSet.provenanceOf),
      ...(this.comments === undefined ? {} : { comments: this.comments }),
      ...(this.segments === undefined ? {} : { segments: this.segments }),
      ...(this.media === undefined ? {} : { media: this.media }),
      ...(this.enrichments === undefined ? {} : { enrichments: this.enrichments })
    }
    return { key: this.key, outcome, reason, item: asItem ? item : undefined, discovered: this.discovered }
  }

  /** Runs a source's steps; a store failure anywhere gives `unreadable` rows. */
  static run(
    artifacts: ArtifactSet.ArtifactSet,
    options: TransformOptions,
    steps: (draft: ItemDraft) => Effect.Effect<ItemRows, Unreadable, BronzeReader>
  ): Effect.Effect<ItemRows, never, BronzeReader> {
    const draft = new ItemDraft(artifacts, options)
    return steps(draft).pipe(
      Effect.catch((u) => {
        draft.unreadable = u
        return Effect.succeed(draft.finish())
      }),
      Effect.tap((rows) =>
        rows.item?.publishedUnparsed != null
          ? Effect.andThen(
              Effect.logWarning(
                `${rows.key.sourceType}/${rows.key.externalId}: published date not understood, kept as written: ${rows.item.publishedUnparsed}`
              ),
              Metric.update(Metric.withAttributes(unparsedDates, { source: rows.key.sourceType }), 1)
            )
          : Effect.void
      )
    )
  }
}

export const unreadableRows = (key: ItemKey, reason: string): ItemRows => ({
  key,
  outcome: "unreadable",
  reason: clip(reason),
  item: undefined,
  discovered: []
})
