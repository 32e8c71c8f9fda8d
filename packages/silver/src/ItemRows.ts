/**
 * From an upsert's input to the rows silver stores: validation beyond the
 * Schema (statuses and their reasons, provenance of every child row, comment
 * threads), normalization (free text PostgreSQL cannot store is repaired, see
 * `PgText`), and the digests that make an identical upsert a no-op. Shared by the PostgreSQL repository and its in-memory double, so
 * both accept and refuse the same input.
 */
import * as Crypto from "node:crypto"
import { DateTime, Effect, Schema } from "effect"
import {
  type DiscoveredItem,
  DiscoveredItem as DiscoveredItemSchema,
  InvalidItem,
  type ItemInput,
  ItemInput as ItemInputSchema,
  type StatusUpdate
} from "./Item.ts"
import * as PgText from "./PgText.ts"
import { fetchReasonAllowed, MAX_REASON_LENGTH, transcriptionReasonAllowed, transformReasonAllowed } from "./Status.ts"

export interface ItemFields {
  readonly source_type: string
  readonly external_id: string
  readonly title: string | null
  readonly url: string | null
  readonly author: string | null
  readonly published_at: string | null
  readonly language: string | null
  readonly body_text: string | null
  readonly excerpt: string | null
  readonly site_name: string | null
  readonly categories: ReadonlyArray<string>
  readonly secondary_text: string | null
  readonly extractor: string | null
  readonly published_unparsed: string | null
  readonly fetch_status: string
  readonly fetch_error: string | null
  readonly transcription_status: string
  readonly transcription_error: string | null
  readonly transform_status: string
  readonly transform_error: string | null
  readonly transform_version: number
}

export interface ArtifactFields {
  readonly artifact_type: string
  readonly ext: string
  readonly sha256: string
  readonly size: number
  readonly location: string
  readonly written_at: string | null
}

export interface CommentFields {
  readonly external_id: string
  readonly parent_external_id: string | null
  readonly position: number
  readonly depth: number
  readonly author: string | null
  readonly body_text: string | null
  readonly published_at: string | null
  readonly deleted: boolean
  readonly artifact_type: string
  readonly artifact_ext: string
}

export interface SegmentFields {
  readonly position: number
  readonly start_seconds: number
  readonly end_seconds: number
  readonly text: string
  readonly speaker: string | null
  readonly language: string | null
  readonly artifact_type: string
  readonly artifact_ext: string
}

export interface MediaFields {
  readonly position: number
  readonly kind: string
  readonly url: string | null
  readonly mime_type: string | null
  readonly duration_seconds: number | null
  readonly bytes: number | null
  readonly artifact_type: string | null
  readonly artifact_ext: string | null
}

export interface EnrichmentFields {
  readonly kind: string
  readonly model: string
  readonly summary_text: string
  readonly artifact_type: string
  readonly artifact_ext: string
}

export const CHILD_KINDS = ["artifacts", "comments", "segments", "media", "enrichments"] as const
export type ChildKind = (typeof CHILD_KINDS)[number]

export interface Digests {
  readonly row: string
  readonly artifacts: string
  readonly comments: string
  readonly segments: string
  readonly media: string
  readonly enrichments: string
}

export interface NormalizedItem {
  readonly item: ItemFields
  readonly artifacts: ReadonlyArray<ArtifactFields>
  readonly comments: ReadonlyArray<CommentFields>
  readonly segments: ReadonlyArray<SegmentFields>
  readonly media: ReadonlyArray<MediaFields>
  readonly enrichments: ReadonlyArray<EnrichmentFields>
  readonly digests: Digests
}

const digest = (value: unknown): string =>
  Crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 32)

const iso = (value: DateTime.Utc | null | undefined): string | null =>
  value === null || value === undefined ? null : DateTime.formatIso(value)

const orNull = <A>(value: A | null | undefined): A | null => (value === undefined ? null : value)

/** Free text as silver stores it: what PostgreSQL cannot hold (U+0000, lone surrogates) becomes U+FFFD. */
const text = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : PgText.repair(value)

export const reason = (value: string | null | undefined): string | null =>
  value === null || value === undefined || value === ""
    ? null
    : PgText.repair(value.length > MAX_REASON_LENGTH ? `${value.slice(0, MAX_REASON_LENGTH - 1)}…` : value)

/** The state a listing gives an item: `pending` carries no reason, `skipped` its reason (clipped). */
export const discoveredState = (item: {
  readonly fetchStatus?: "pending" | "skipped" | undefined
  readonly fetchError?: string | null | undefined
}): { readonly fetch_status: "pending" | "skipped"; readonly fetch_error: string | null } =>
  item.fetchStatus === "skipped"
    ? { fetch_status: "skipped", fetch_error: reason(item.fetchError) }
    : { fetch_status: "pending", fetch_error: null }

/** Raw HTML is not extracted text: the same test as the `items_body_text_is_not_html` constraint. */
const looksLikeHtmlDocument = (text: string) => /^\s*<(!doctype|html)/i.test(text)

export const keyOf = (item: { readonly sourceType: string; readonly externalId: string }) =>
  `${item.sourceType}\u0000${item.externalId}`

const checkReasons = (
  invalid: (message: string) => InvalidItem,
  stage: string,
  status: string | undefined,
  error: string | null,
  allowed: ReadonlySet<string>
): InvalidItem | undefined => {
  if (status === "failed" && error === null) return invalid(`${stage} is failed but no ${stage} error is given`)
  if (status !== undefined && error !== null && !allowed.has(status)) {
    return invalid(`a ${stage} error is given but ${stage} is ${status}`)
  }
  return undefined
}

const decodeItem = Schema.decodeUnknownEffect(ItemInputSchema)

/** Validates and normalizes one item. */
export const normalizeItem = Effect.fnUntraced(function* (input: ItemInput) {
  const invalid = (message: string) =>
    new InvalidItem({ sourceType: String(input.sourceType), externalId: String(input.externalId), message })
  const item = yield* decodeItem(input).pipe(Effect.mapError((error) => invalid(error.message)))

  const fetchError = reason(item.fetchError)
  const transcriptionError = reason(item.transcriptionError)
  const transformError = reason(item.transformError)
  const reasonProblem =
    checkReasons(invalid, "fetch", item.fetchStatus, fetchError, fetchReasonAllowed) ??
    checkReasons(invalid, "transcription", item.transcriptionStatus, transcriptionError, transcriptionReasonAllowed) ??
    checkReasons(invalid, "transform", item.transformStatus, transformError, transformReasonAllowed)
  if (reasonProblem) return yield* reasonProblem
  if (item.bodyText != null && looksLikeHtmlDocument(item.bodyText)) {
    return yield* invalid("bodyText is an HTML document; silver keeps the extracted text only")
  }
  if (item.secondaryText != null && looksLikeHtmlDocument(item.secondaryText)) {
    return yield* invalid("secondaryText is an HTML document; silver keeps the extracted text only")
  }

  const artifactKeys = new Set<string>()
  for (const artifact of item.artifacts) {
    const key = `${artifact.artifactType}.${artifact.ext}`
    if (artifactKeys.has(key)) return yield* invalid(`artifact ${key} is listed twice`)
    artifactKeys.add(key)
  }
  const ref = (what: string, artifact: { artifactType: string; ext: string }) => {
    const key = `${artifact.artifactType}.${artifact.ext}`
    return artifactKeys.has(key) ? undefined : invalid(`${what} comes from artifact ${key}, which is not in artifacts`)
  }

  const comments = item.comments ?? []
  const commentIndex = new Map<string, number>()
  for (const [position, comment] of comments.entries()) {
    if (commentIndex.has(comment.externalId)) return yield* invalid(`comment ${comment.externalId} is listed twice`)
    commentIndex.set(comment.externalId, position)
    const problem = ref(`comment ${comment.externalId}`, comment.artifact)
    if (problem) return yield* problem
  }
  const depths = new Map<string, number>()
  const depthOf = (externalId: string): number | InvalidItem => {
    const known = depths.get(externalId)
    if (known !== undefined) return known
    // Walk up to the root; a thread is at most as deep as it has comments, anything longer is a cycle.
    const chain: Array<string> = []
    let current: string | null = externalId
    while (current !== null) {
      const cached = depths.get(current)
      if (cached !== undefined) break
      if (chain.length > comments.length) return invalid(`comment ${externalId} is in a reply cycle`)
      chain.push(current)
      const parent: string | null = orNull(comments[commentIndex.get(current)!]!.parentExternalId)
      if (parent !== null && !commentIndex.has(parent)) {
        return invalid(`comment ${current} replies to ${parent}, which is not among the comments`)
      }
      current = parent
    }
    let depth = current === null ? -1 : depths.get(current)!
    for (let i = chain.length - 1; i >= 0; i--) depths.set(chain[i]!, ++depth)
    return depths.get(externalId)!
  }
  const commentRows: Array<CommentFields> = []
  for (const [position, comment] of comments.entries()) {
    const depth = depthOf(comment.externalId)
    if (typeof depth !== "number") return yield* depth
    commentRows.push({
      external_id: comment.externalId,
      parent_external_id: orNull(comment.parentExternalId),
      position,
      depth,
      author: text(comment.author),
      body_text: text(comment.bodyText),
      published_at: iso(comment.publishedAt),
      deleted: comment.deleted ?? false,
      artifact_type: comment.artifact.artifactType,
      artifact_ext: comment.artifact.ext
    })
  }

  const segmentRows: Array<SegmentFields> = []
  for (const [position, segment] of (item.segments ?? []).entries()) {
    if (segment.endSeconds < segment.startSeconds) {
      return yield* invalid(
        `segment ${position} ends (${segment.endSeconds}s) before it starts (${segment.startSeconds}s)`
      )
    }
    const problem = ref(`segment ${position}`, segment.artifact)
    if (problem) return yield* problem
    segmentRows.push({
      position,
      start_seconds: segment.startSeconds,
      end_seconds: segment.endSeconds,
      text: PgText.repair(segment.text),
      speaker: text(segment.speaker),
      language: orNull(segment.language),
      artifact_type: segment.artifact.artifactType,
      artifact_ext: segment.artifact.ext
    })
  }

  const mediaRows: Array<MediaFields> = []
  for (const [position, media] of (item.media ?? []).entries()) {
    const artifact = orNull(media.artifact)
    if (artifact !== null) {
      const problem = ref(`media ${position}`, artifact)
      if (problem) return yield* problem
    }
    mediaRows.push({
      position,
      kind: media.kind,
      url: text(media.url),
      mime_type: text(media.mimeType),
      duration_seconds: orNull(media.durationSeconds),
      bytes: orNull(media.bytes),
      artifact_type: artifact?.artifactType ?? null,
      artifact_ext: artifact?.ext ?? null
    })
  }

  const enrichmentRows: Array<EnrichmentFields> = []
  const enrichmentKeys = new Set<string>()
  for (const enrichment of item.enrichments ?? []) {
    const kind = enrichment.kind ?? "summary"
    const model = PgText.repair(enrichment.model)
    const key = `${kind}/${model}`
    if (enrichmentKeys.has(key)) return yield* invalid(`enrichment ${key} is listed twice`)
    enrichmentKeys.add(key)
    const problem = ref(`enrichment ${key}`, enrichment.artifact)
    if (problem) return yield* problem
    enrichmentRows.push({
      kind,
      model,
      summary_text: PgText.repair(enrichment.summaryText),
      artifact_type: enrichment.artifact.artifactType,
      artifact_ext: enrichment.artifact.ext
    })
  }

  const artifactRows: Array<ArtifactFields> = item.artifacts
    .map((artifact) => ({
      artifact_type: artifact.artifactType,
      ext: artifact.ext,
      sha256: artifact.sha256,
      size: artifact.size,
      location: artifact.location,
      written_at: iso(artifact.writtenAt)
    }))
    .sort((a, b) => (a.artifact_type + "." + a.ext < b.artifact_type + "." + b.ext ? -1 : 1))

  const fields: ItemFields = {
    source_type: item.sourceType,
    external_id: item.externalId,
    title: text(item.title),
    url: text(item.url),
    author: text(item.author),
    published_at: iso(item.publishedAt),
    language: orNull(item.language),
    body_text: text(item.bodyText),
    excerpt: text(item.excerpt),
    site_name: text(item.siteName),
    categories: (item.categories ?? []).map(PgText.repair),
    secondary_text: text(item.secondaryText),
    extractor: orNull(item.extractor),
    published_unparsed: text(item.publishedUnparsed),
    fetch_status: item.fetchStatus,
    fetch_error: fetchError,
    transcription_status: item.transcriptionStatus,
    transcription_error: transcriptionError,
    transform_status: item.transformStatus,
    transform_error: transformError,
    transform_version: item.transformVersion
  }
  const normalized: NormalizedItem = {
    item: fields,
    artifacts: artifactRows,
    comments: commentRows,
    segments: segmentRows,
    media: mediaRows,
    enrichments: enrichmentRows,
    digests: {
      row: digest(fields),
      artifacts: digest(artifactRows),
      comments: digest(commentRows),
      segments: digest(segmentRows),
      media: digest(mediaRows),
      enrichments: digest(enrichmentRows)
    }
  }
  return normalized
})

/**
 * Validates and normalizes a batch, sorted by key so that concurrent writers
 * lock rows in the same order. An item listed twice is refused: which of the
 * two should win is not silver's to guess.
 */
export const normalizeBatch = Effect.fnUntraced(function* (items: ReadonlyArray<ItemInput>) {
  const seen = new Set<string>()
  const out: Array<NormalizedItem> = []
  for (const input of items) {
    const key = keyOf(input)
    if (seen.has(key)) {
      return yield* new InvalidItem({
        sourceType: String(input.sourceType),
        externalId: String(input.externalId),
        message: "the item is listed twice in one batch"
      })
    }
    seen.add(key)
    out.push(yield* normalizeItem(input))
  }
  return out.sort((a, b) => compareKeys(a.item, b.item))
})

export const compareKeys = (
  a: { readonly source_type: string; readonly external_id: string },
  b: { readonly source_type: string; readonly external_id: string }
) =>
  a.source_type < b.source_type
    ? -1
    : a.source_type > b.source_type
      ? 1
      : a.external_id < b.external_id
        ? -1
        : a.external_id > b.external_id
          ? 1
          : 0

export interface DiscoveredFields {
  readonly source_type: string
  readonly external_id: string
  readonly title: string | null
  readonly url: string | null
  /** The listing's state: `pending`, or `skipped` with its reason (`discoveredState`). */
  readonly fetch_status: "pending" | "skipped"
  readonly fetch_error: string | null
}

const decodeDiscovered = Schema.decodeUnknownEffect(DiscoveredItemSchema)

/**
 * Validates discovered items one at a time, so that a refusal names the item at fault (and the caller
 * can set that one aside), and repairs their free text.
 */
export const normalizeDiscovered = Effect.fnUntraced(function* (items: ReadonlyArray<DiscoveredItem>) {
  const out: Array<DiscoveredFields> = []
  for (const input of items) {
    const item = yield* decodeDiscovered(input).pipe(
      Effect.mapError(
        (error) =>
          new InvalidItem({
            sourceType: String(input.sourceType),
            externalId: String(input.externalId),
            message: error.message
          })
      )
    )
    out.push({
      source_type: item.sourceType,
      external_id: item.externalId,
      title: text(item.title),
      url: text(item.url),
      ...discoveredState({ fetchStatus: item.fetchStatus, fetchError: text(item.fetchError) })
    })
  }
  return out
})

/** The status fields a `StatusUpdate` sets, validated against each other; `undefined` leaves a field as it is. */
export interface StatusChange {
  readonly source_type: string
  readonly external_id: string
  readonly fetch_status: string | null
  readonly fetch_error: string | null
  readonly set_fetch: boolean
  readonly transcription_status: string | null
  readonly transcription_error: string | null
  readonly set_transcription: boolean
  readonly transform_status: string | null
  readonly transform_error: string | null
  readonly set_transform: boolean
  readonly transform_version: number | null
}

/**
 * A status update sets a stage's status and its reason together: setting
 * `transformStatus` without `transformError` clears the reason.
 */
export const normalizeStatus = (update: StatusUpdate): StatusChange | InvalidItem => {
  const invalid = (message: string) =>
    new InvalidItem({ sourceType: update.sourceType, externalId: update.externalId, message })
  const fetchError = reason(update.fetchError)
  const transcriptionError = reason(update.transcriptionError)
  const transformError = reason(update.transformError)
  if (update.fetchStatus === undefined && fetchError !== null) return invalid("fetchError needs fetchStatus")
  if (update.transcriptionStatus === undefined && transcriptionError !== null) {
    return invalid("transcriptionError needs transcriptionStatus")
  }
  if (update.transformStatus === undefined && transformError !== null)
    return invalid("transformError needs transformStatus")
  const problem =
    checkReasons(invalid, "fetch", update.fetchStatus, fetchError, fetchReasonAllowed) ??
    checkReasons(
      invalid,
      "transcription",
      update.transcriptionStatus,
      transcriptionError,
      transcriptionReasonAllowed
    ) ??
    checkReasons(invalid, "transform", update.transformStatus, transformError, transformReasonAllowed)
  if (problem) return problem
  return {
    source_type: update.sourceType,
    external_id: update.externalId,
    fetch_status: update.fetchStatus ?? null,
    fetch_error: fetchError,
    set_fetch: update.fetchStatus !== undefined,
    transcription_status: update.transcriptionStatus ?? null,
    transcription_error: transcriptionError,
    set_transcription: update.transcriptionStatus !== undefined,
    transform_status: update.transformStatus ?? null,
    transform_error: transformError,
    set_transform: update.transformStatus !== undefined,
    transform_version: update.transformVersion ?? null
  }
}
