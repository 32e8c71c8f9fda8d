/**
 * The shapes that go into silver and come out of it: an item with its
 * provenance and child rows (the upsert input), and the read models.
 *
 * Keys follow bronze's: an item is `{ sourceType, externalId }`, an artifact
 * of an item is `{ artifactType, ext }` plus its `sha256`, `size` and
 * `location` as bronze reported them.
 */
import { type DateTime, Schema } from "effect"
import * as PgText from "./PgText.ts"
import { FetchStatus, TranscriptionStatus, TransformStatus } from "./Status.ts"

export const SourceType = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]{0,39}$/))
/**
 * An id silver keeps: 1 to 2,048 UTF-16 units (bronze keeps up to 8,192: a longer id is a failed item
 * with this reason) that PostgreSQL can store (no U+0000, no lone surrogate). Ids are kept exactly as
 * the source gave them: two ids that differ only in Unicode normalization (`é` and `e` + U+0301) are two
 * items, as they are two folders in bronze.
 */
export const ExternalId = Schema.String.check(
  Schema.isBetweenLength(1, 2048),
  Schema.makeFilter((s: string) => {
    const problem = PgText.problem(s)
    return problem === undefined || `an id PostgreSQL can store: this one ${problem}`
  })
)
export const ArtifactType = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]{0,63}(@[0-9A-Za-z_.-]{1,64})?$/))
export const Ext = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/))
export const Sha256Hex = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))
export const Language = Schema.String.check(Schema.isPattern(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/))
/** What produced an item's `body_text`: `readability`, `main-content`, `feed-content`, `transcript`... */
export const Extractor = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9-]{0,39}$/))
export const Category = Schema.String.check(Schema.isBetweenLength(1, 500))
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const ItemKey = Schema.Struct({ sourceType: SourceType, externalId: ExternalId })
export type ItemKey = typeof ItemKey.Type

/** One of the item's bronze artifacts, as a child row names its provenance. */
export const ArtifactRef = Schema.Struct({ artifactType: ArtifactType, ext: Ext })
export type ArtifactRef = typeof ArtifactRef.Type

/** A bronze artifact an item's rows were derived from. */
export const Artifact = Schema.Struct({
  artifactType: ArtifactType,
  ext: Ext,
  sha256: Sha256Hex,
  size: NonNegativeInt,
  location: Schema.String.check(Schema.isBetweenLength(1, 4096)),
  writtenAt: Optional(Schema.DateTimeUtc)
})
export type Artifact = typeof Artifact.Type

/** A comment; `parentExternalId` null or absent for a reply to the item itself. Input order is thread order. */
export const CommentInput = Schema.Struct({
  externalId: ExternalId,
  parentExternalId: Optional(ExternalId),
  author: Optional(Schema.String),
  bodyText: Optional(Schema.String),
  publishedAt: Optional(Schema.DateTimeUtc),
  deleted: Schema.optional(Schema.Boolean),
  artifact: ArtifactRef
})
export type CommentInput = typeof CommentInput.Type

/** A transcript segment, in seconds from the start of the media. Input order is segment order. */
export const SegmentInput = Schema.Struct({
  startSeconds: NonNegative,
  endSeconds: NonNegative,
  text: Schema.String,
  speaker: Optional(Schema.String),
  /** The language the transcription detected (BCP 47). */
  language: Optional(Language),
  artifact: ArtifactRef
})
export type SegmentInput = typeof SegmentInput.Type

export const MediaKind = Schema.Literals(["audio", "video", "image", "other"])
export type MediaKind = typeof MediaKind.Type

/** A media file of the item; `artifact` is the bronze artifact holding it, absent while not downloaded. */
export const MediaInput = Schema.Struct({
  kind: MediaKind,
  url: Optional(Schema.String),
  mimeType: Optional(Schema.String),
  durationSeconds: Optional(NonNegative),
  bytes: Optional(NonNegativeInt),
  artifact: Optional(ArtifactRef)
})
export type MediaInput = typeof MediaInput.Type

/** An LLM output kept as fields; the prompt and response stay in bronze (`artifact`). */
export const EnrichmentInput = Schema.Struct({
  kind: Schema.optional(Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]{0,39}$/))),
  model: Schema.String.check(Schema.isBetweenLength(1, 200)),
  summaryText: Schema.String,
  artifact: ArtifactRef
})
export type EnrichmentInput = typeof EnrichmentInput.Type

/**
 * Everything silver holds for one item, as the transform derived it. An
 * upsert replaces the item's fields, provenance and child rows with these.
 */
export const ItemInput = Schema.Struct({
  sourceType: SourceType,
  externalId: ExternalId,
  title: Optional(Schema.String),
  url: Optional(Schema.String),
  author: Optional(Schema.String),
  publishedAt: Optional(Schema.DateTimeUtc),
  language: Optional(Language),
  /** Final extracted or transcribed text only: never HTML, JSON or a payload. */
  bodyText: Optional(Schema.String),
  /** The item's short description as the source gives it (a page's description, a feed entry's summary). */
  excerpt: Optional(Schema.String),
  /** The site or feed the item belongs to (a page's site name, a feed entry's feed title). */
  siteName: Optional(Schema.String),
  categories: Optional(Schema.Array(Category).check(Schema.isMaxLength(200))),
  /**
   * The item's other text, final text as well and searchable: what did not win `bodyText` (a podcast's
   * show notes, a feed entry's own text when the linked article won, the article's when the entry's won).
   */
  secondaryText: Optional(Schema.String),
  /** What produced `bodyText`. */
  extractor: Optional(Extractor),
  /** A published date the source gave but that could not be parsed (`publishedAt` is then null). */
  publishedUnparsed: Optional(Schema.String.check(Schema.isMaxLength(200))),
  fetchStatus: FetchStatus,
  fetchError: Optional(Schema.String),
  transcriptionStatus: TranscriptionStatus,
  transcriptionError: Optional(Schema.String),
  transformStatus: TransformStatus,
  transformError: Optional(Schema.String),
  transformVersion: NonNegativeInt,
  artifacts: Schema.Array(Artifact),
  comments: Schema.optional(Schema.Array(CommentInput)),
  segments: Schema.optional(Schema.Array(SegmentInput)),
  media: Schema.optional(Schema.Array(MediaInput)),
  enrichments: Schema.optional(Schema.Array(EnrichmentInput))
})
export type ItemInput = typeof ItemInput.Type

/** The states of an item silver only knows from a listing. */
export const DiscoveredStatus = Schema.Literals(["pending", "skipped"])
export type DiscoveredStatus = typeof DiscoveredStatus.Type

/**
 * An item seen in a listing, before it is fetched: `pending` (the default) when the fetch side is to
 * fetch it, `skipped` with the reason in `fetchError` when it listed it but will not (beyond the
 * source's limit of items).
 */
export const DiscoveredItem = Schema.Struct({
  sourceType: SourceType,
  externalId: ExternalId,
  title: Optional(Schema.String),
  url: Optional(Schema.String),
  fetchStatus: Schema.optional(DiscoveredStatus),
  fetchError: Optional(Schema.String)
})
export type DiscoveredItem = typeof DiscoveredItem.Type

/** A change of status only; the fields left out keep their value. */
export const StatusUpdate = Schema.Struct({
  sourceType: SourceType,
  externalId: ExternalId,
  fetchStatus: Schema.optional(FetchStatus),
  fetchError: Optional(Schema.String),
  transcriptionStatus: Schema.optional(TranscriptionStatus),
  transcriptionError: Optional(Schema.String),
  transformStatus: Schema.optional(TransformStatus),
  transformError: Optional(Schema.String),
  transformVersion: Schema.optional(NonNegativeInt)
})
export type StatusUpdate = typeof StatusUpdate.Type

// ---------------------------------------------------------------- read models

export interface ItemSummary {
  readonly id: number
  readonly sourceType: string
  readonly externalId: string
  readonly title: string | null
  readonly url: string | null
  readonly publishedAt: DateTime.Utc | null
  readonly fetchStatus: FetchStatus
  readonly fetchError: string | null
  readonly transcriptionStatus: TranscriptionStatus
  readonly transcriptionError: string | null
  readonly transformStatus: TransformStatus
  readonly transformError: string | null
  readonly transformVersion: number
  readonly updatedAt: DateTime.Utc
}

export interface ItemRow extends ItemSummary {
  readonly author: string | null
  readonly language: string | null
  readonly bodyText: string | null
  readonly excerpt: string | null
  readonly siteName: string | null
  readonly categories: ReadonlyArray<string>
  readonly secondaryText: string | null
  readonly extractor: string | null
  readonly publishedUnparsed: string | null
  readonly createdAt: DateTime.Utc
}

export interface ArtifactRow {
  readonly artifactType: string
  readonly ext: string
  /** The artifact type without its version stamp. */
  readonly artifactName: string
  readonly sha256: string
  readonly size: number
  readonly location: string
  readonly writtenAt: DateTime.Utc | null
}

export interface CommentRow {
  readonly externalId: string
  readonly parentExternalId: string | null
  readonly position: number
  readonly depth: number
  readonly author: string | null
  readonly bodyText: string | null
  readonly publishedAt: DateTime.Utc | null
  readonly deleted: boolean
  readonly artifactType: string
  readonly artifactExt: string
}

export interface SegmentRow {
  readonly position: number
  readonly startSeconds: number
  readonly endSeconds: number
  readonly text: string
  readonly speaker: string | null
  readonly language: string | null
  readonly artifactType: string
  readonly artifactExt: string
}

export interface MediaRow {
  readonly position: number
  readonly kind: MediaKind
  readonly url: string | null
  readonly mimeType: string | null
  readonly durationSeconds: number | null
  readonly bytes: number | null
  readonly artifactType: string | null
  readonly artifactExt: string | null
}

export interface EnrichmentRow {
  readonly kind: string
  readonly model: string
  readonly summaryText: string
  readonly artifactType: string
  readonly artifactExt: string
}

/** One item with everything derived from it. */
export interface ItemDetail {
  readonly item: ItemRow
  readonly artifacts: ReadonlyArray<ArtifactRow>
  readonly comments: ReadonlyArray<CommentRow>
  readonly segments: ReadonlyArray<SegmentRow>
  readonly media: ReadonlyArray<MediaRow>
  readonly enrichments: ReadonlyArray<EnrichmentRow>
}

export interface StatusCount {
  readonly sourceType: string
  readonly fetchStatus: FetchStatus
  readonly transcriptionStatus: TranscriptionStatus
  readonly transformStatus: TransformStatus
  readonly count: number
}

export interface UpsertResult {
  /** Items that did not exist. */
  readonly inserted: number
  /** Items that existed and changed. */
  readonly updated: number
  /** Items identical to what silver held: nothing was written for them. */
  readonly unchanged: number
}

export interface SearchHit {
  readonly id: number
  readonly sourceType: string
  readonly externalId: string
  readonly title: string | null
  readonly url: string | null
  readonly language: string | null
  readonly rank: number
  /** The matching passage, with matches between `[` and `]`. */
  readonly snippet: string
}

/** A position in the change feed: after this (transaction id, item id). */
export interface ChangeCursor {
  /** An `xid8`, as a decimal string. */
  readonly xid: string
  readonly id: number
}

export interface ChangedItem {
  readonly id: number
  readonly sourceType: string
  readonly externalId: string
  readonly xid: string
  readonly transformStatus: TransformStatus
}

export interface ChangePage {
  readonly items: ReadonlyArray<ChangedItem>
  /** Where to read next. Never past a transaction that may still commit. */
  readonly next: ChangeCursor
}

export class InvalidItem extends Schema.TaggedError<InvalidItem>()("InvalidItem", {
  sourceType: Schema.String,
  externalId: Schema.String,
  message: Schema.String
}) {}
