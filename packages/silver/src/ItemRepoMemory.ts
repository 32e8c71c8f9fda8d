/**
 * The in-memory `ItemRepo` behind `ItemRepo.layerTest`: for users' unit
 * tests of code that writes or reads silver, with no database. It validates
 * input exactly like the PostgreSQL repository (same module), reports the
 * same inserted/updated/unchanged counts, keeps discovery from overwriting
 * known items, and serves the same reads. Search parses the same query
 * syntax and prepares words the same way (any capitalisation; words of
 * unspaced scripts found inside longer text), but matches whole words without
 * stemming and ranks by the count of matches; the change feed orders by
 * write, not by transaction id.
 */
import { Clock, DateTime, Effect, Option } from "effect"
import * as Item from "./Item.ts"
import type { ItemRepoShape, SearchQuery, StaleQuery, StatusQuery } from "./ItemRepoShape.ts"
import { keyOf, type NormalizedItem, normalizeBatch, normalizeDiscovered, normalizeStatus } from "./ItemRows.ts"
import * as SearchExpression from "./SearchExpression.ts"
import * as SearchSnippet from "./SearchSnippet.ts"
import * as SearchText from "./SearchText.ts"
import type { FetchStatus, TranscriptionStatus, TransformStatus } from "./Status.ts"

interface Stored {
  readonly id: number
  normalized: NormalizedItem
  /** The written version, the double's stand-in for the transaction id. */
  version: number
  createdAt: DateTime.Utc
  updatedAt: DateTime.Utc
}

const utc = (iso: string | null) => (iso === null ? null : DateTime.makeUnsafe(iso))

const summary = (stored: Stored): Item.ItemSummary => {
  const item = stored.normalized.item
  return {
    id: stored.id,
    sourceType: item.source_type,
    externalId: item.external_id,
    title: item.title,
    url: item.url,
    publishedAt: utc(item.published_at),
    fetchStatus: item.fetch_status as FetchStatus,
    fetchError: item.fetch_error,
    transcriptionStatus: item.transcription_status as TranscriptionStatus,
    transcriptionError: item.transcription_error,
    transformStatus: item.transform_status as TransformStatus,
    transformError: item.transform_error,
    transformVersion: item.transform_version,
    updatedAt: stored.updatedAt
  }
}

const detail = (stored: Stored): Item.ItemDetail => {
  const n = stored.normalized
  return {
    item: {
      ...summary(stored),
      author: n.item.author,
      language: n.item.language,
      bodyText: n.item.body_text,
      excerpt: n.item.excerpt,
      siteName: n.item.site_name,
      categories: n.item.categories,
      secondaryText: n.item.secondary_text,
      extractor: n.item.extractor,
      publishedUnparsed: n.item.published_unparsed,
      createdAt: stored.createdAt
    },
    artifacts: n.artifacts.map((a) => ({
      artifactType: a.artifact_type,
      ext: a.ext,
      artifactName: a.artifact_type.split("@")[0]!,
      sha256: a.sha256,
      size: a.size,
      location: a.location,
      writtenAt: utc(a.written_at)
    })),
    comments: n.comments.map((c) => ({
      externalId: c.external_id,
      parentExternalId: c.parent_external_id,
      position: c.position,
      depth: c.depth,
      author: c.author,
      bodyText: c.body_text,
      publishedAt: utc(c.published_at),
      deleted: c.deleted,
      artifactType: c.artifact_type,
      artifactExt: c.artifact_ext
    })),
    segments: n.segments.map((s) => ({
      position: s.position,
      startSeconds: s.start_seconds,
      endSeconds: s.end_seconds,
      text: s.text,
      speaker: s.speaker,
      language: s.language,
      artifactType: s.artifact_type,
      artifactExt: s.artifact_ext
    })),
    media: n.media.map((m) => ({
      position: m.position,
      kind: m.kind as Item.MediaKind,
      url: m.url,
      mimeType: m.mime_type,
      durationSeconds: m.duration_seconds,
      bytes: m.bytes,
      artifactType: m.artifact_type,
      artifactExt: m.artifact_ext
    })),
    enrichments: n.enrichments.map((e) => ({
      kind: e.kind,
      model: e.model,
      summaryText: e.summary_text,
      artifactType: e.artifact_type,
      artifactExt: e.artifact_ext
    }))
  }
}

const sameDigests = (a: NormalizedItem, b: NormalizedItem) => JSON.stringify(a.digests) === JSON.stringify(b.digests)

const emptyNormalized = (
  sourceType: string,
  externalId: string,
  title: string | null,
  url: string | null
): NormalizedItem => ({
  item: {
    source_type: sourceType,
    external_id: externalId,
    title,
    url,
    author: null,
    published_at: null,
    language: null,
    body_text: null,
    excerpt: null,
    site_name: null,
    categories: [],
    secondary_text: null,
    extractor: null,
    published_unparsed: null,
    fetch_status: "pending",
    fetch_error: null,
    transcription_status: "not_applicable",
    transcription_error: null,
    transform_status: "pending",
    transform_error: null,
    transform_version: 0
  },
  artifacts: [],
  comments: [],
  segments: [],
  media: [],
  enrichments: [],
  digests: { row: "", artifacts: "", comments: "", segments: "", media: "", enrichments: "" }
})

interface SearchableText {
  readonly words: ReadonlyArray<string>
  readonly text: string
}

/** An item's words and folded text, prepared once per written version. */
const prepared = new WeakMap<NormalizedItem, SearchableText>()
const searchable = (normalized: NormalizedItem): SearchableText => {
  const cached = prepared.get(normalized)
  if (cached !== undefined) return cached
  const text = [normalized.item.title, normalized.item.body_text, normalized.item.secondary_text].join("\n")
  const doc = { words: SearchText.spacedWords(text).map((span) => span.word), text: SearchText.fold(text) }
  prepared.set(normalized, doc)
  return doc
}

const primaryLanguage = (language: string | null) => language?.split("-")[0]!.toLowerCase() ?? null

/** Whether the words of `sequence` occur one after the other in `words`. */
const containsSequence = (words: ReadonlyArray<string>, sequence: ReadonlyArray<string>) =>
  sequence.length === 0 || words.some((_, start) => sequence.every((word, n) => words[start + n] === word))

/**
 * A word or phrase of a query in a text, as whole words without stemming: its
 * words in a row, and its runs of unspaced scripts anywhere in the text.
 */
const matchesLiteral = (literal: SearchExpression.Literal, doc: SearchableText) => {
  const parts = SearchText.pieces(literal.text)
  const words = parts.flatMap((part) =>
    part.unspaced ? [] : SearchText.spacedWords(part.text).map((span) => span.word)
  )
  const found =
    containsSequence(doc.words, words) && parts.every((part) => !part.unspaced || doc.text.includes(part.text))
  return literal.negated ? !found : found
}

/** A fresh, empty in-memory repository. */
export const make: Effect.Effect<ItemRepoShape> = Effect.sync(() => {
  const items = new Map<string, Stored>()
  let nextId = 1
  let version = 0
  const now = Effect.map(Clock.currentTimeMillis, (ms) => DateTime.makeUnsafe(ms))

  const write = (key: string, normalized: NormalizedItem, at: DateTime.Utc): "inserted" | "updated" | "unchanged" => {
    const stored = items.get(key)
    if (stored === undefined) {
      items.set(key, { id: nextId++, normalized, version: ++version, createdAt: at, updatedAt: at })
      return "inserted"
    }
    if (sameDigests(stored.normalized, normalized)) return "unchanged"
    stored.normalized = normalized
    stored.version = ++version
    stored.updatedAt = at
    return "updated"
  }

  const upsert = Effect.fn("ItemRepo.upsert")(function* (input: ReadonlyArray<Item.ItemInput>) {
    const batch = yield* normalizeBatch(input)
    const at = yield* now
    const result = { inserted: 0, updated: 0, unchanged: 0 }
    for (const normalized of batch) {
      const outcome = write(
        keyOf({ sourceType: normalized.item.source_type, externalId: normalized.item.external_id }),
        normalized,
        at
      )
      result[outcome]++
    }
    return result
  })

  const discover = Effect.fn("ItemRepo.discover")(function* (input: ReadonlyArray<Item.DiscoveredItem>) {
    const at = yield* now
    let discovered = 0
    for (const item of yield* normalizeDiscovered(input)) {
      const key = keyOf({ sourceType: item.source_type, externalId: item.external_id })
      const state = { fetch_status: item.fetch_status, fetch_error: item.fetch_error }
      const known = items.get(key)
      if (known !== undefined) {
        // Known only from listings: it takes the newest listing's state (as the SQL repository does).
        const row = known.normalized.item
        const listedOnly =
          row.transform_status === "pending" &&
          row.transform_version === 0 &&
          (row.fetch_status === "pending" || row.fetch_status === "skipped") &&
          known.normalized.artifacts.length === 0
        if (listedOnly && (row.fetch_status !== state.fetch_status || row.fetch_error !== state.fetch_error)) {
          known.normalized = { ...known.normalized, item: { ...row, ...state } }
          known.version = ++version
          known.updatedAt = at
        }
        continue
      }
      const empty = emptyNormalized(item.source_type, item.external_id, item.title, item.url)
      items.set(key, {
        id: nextId++,
        normalized: { ...empty, item: { ...empty.item, ...state } },
        version: ++version,
        createdAt: at,
        updatedAt: at
      })
      discovered++
    }
    return { discovered }
  })

  const setStatus = Effect.fn("ItemRepo.setStatus")(function* (updates: ReadonlyArray<Item.StatusUpdate>) {
    const changes = []
    for (const update of updates) {
      const change = normalizeStatus(update)
      if (change instanceof Item.InvalidItem) return yield* change
      changes.push(change)
    }
    const at = yield* now
    let updated = 0
    for (const change of changes) {
      const stored = items.get(keyOf({ sourceType: change.source_type, externalId: change.external_id }))
      if (stored === undefined) continue
      const before = stored.normalized.item
      const after = {
        ...before,
        ...(change.set_fetch ? { fetch_status: change.fetch_status!, fetch_error: change.fetch_error } : {}),
        ...(change.set_transcription
          ? { transcription_status: change.transcription_status!, transcription_error: change.transcription_error }
          : {}),
        ...(change.set_transform
          ? { transform_status: change.transform_status!, transform_error: change.transform_error }
          : {}),
        transform_version: change.transform_version ?? before.transform_version
      }
      if (JSON.stringify(after) === JSON.stringify(before)) continue
      stored.normalized = { ...stored.normalized, item: after, digests: { ...stored.normalized.digests, row: "" } }
      stored.version = ++version
      stored.updatedAt = at
      updated++
    }
    return { updated }
  })

  const all = () => [...items.values()].sort((a, b) => a.id - b.id)

  const get = (key: Item.ItemKey) => Effect.sync(() => Option.map(Option.fromNullishOr(items.get(keyOf(key))), detail))

  const countByStatus = (options?: { readonly sourceType?: string | undefined }) =>
    Effect.sync(() => {
      const counts = new Map<string, Item.StatusCount>()
      for (const stored of all()) {
        const s = summary(stored)
        if (options?.sourceType !== undefined && s.sourceType !== options.sourceType) continue
        const key = [s.sourceType, s.fetchStatus, s.transcriptionStatus, s.transformStatus].join("\u0000")
        const count = counts.get(key)
        counts.set(key, {
          sourceType: s.sourceType,
          fetchStatus: s.fetchStatus,
          transcriptionStatus: s.transcriptionStatus,
          transformStatus: s.transformStatus,
          count: (count?.count ?? 0) + 1
        })
      }
      return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, count]) => count)
    })

  const listByStatus = (query: StatusQuery) =>
    Effect.sync(() =>
      all()
        .map(summary)
        .filter(
          (s) =>
            (query.sourceType === undefined || s.sourceType === query.sourceType) &&
            (query.fetchStatus === undefined || s.fetchStatus === query.fetchStatus) &&
            (query.transcriptionStatus === undefined || s.transcriptionStatus === query.transcriptionStatus) &&
            (query.transformStatus === undefined || s.transformStatus === query.transformStatus) &&
            s.id > (query.afterId ?? 0)
        )
        .slice(0, query.limit)
    )

  const stale = (query: StaleQuery) =>
    Effect.sync(() =>
      all()
        .map(summary)
        .filter(
          (s) =>
            s.sourceType === query.sourceType &&
            s.transformVersion < query.currentVersion &&
            s.id > (query.afterId ?? 0)
        )
        .slice(0, query.limit)
    )

  const search = (query: SearchQuery) =>
    Effect.sync(() => {
      const expression = SearchExpression.parse(query.text)
      const terms = SearchExpression.highlightTerms(expression)
      const hits: Array<Item.SearchHit> = []
      for (const stored of all()) {
        const item = stored.normalized.item
        if (query.sourceType !== undefined && item.source_type !== query.sourceType) continue
        if (query.language !== undefined && primaryLanguage(item.language) !== primaryLanguage(query.language)) continue
        const doc = searchable(stored.normalized)
        if (!expression.some((conjunction) => conjunction.every((literal) => matchesLiteral(literal, doc)))) continue
        const rank =
          doc.words.filter((word) => terms.words.includes(word)).length +
          terms.runs.reduce((sum, run) => sum + doc.text.split(run).length - 1, 0)
        hits.push({
          id: stored.id,
          sourceType: item.source_type,
          externalId: item.external_id,
          title: item.title,
          url: item.url,
          language: item.language,
          rank,
          snippet: SearchSnippet.make(
            item.body_text ?? item.secondary_text ?? item.title ?? "",
            (word) => terms.words.includes(word),
            terms.runs
          )
        })
      }
      hits.sort((a, b) => b.rank - a.rank || a.id - b.id)
      const offset = query.offset ?? 0
      return hits.slice(offset, offset + query.limit)
    })

  const changes = (cursor: Item.ChangeCursor, limit: number) =>
    Effect.sync((): Item.ChangePage => {
      const from = BigInt(cursor.xid)
      const changed = all()
        .filter((s) => BigInt(s.version) > from || (BigInt(s.version) === from && s.id > cursor.id))
        .sort((a, b) => a.version - b.version || a.id - b.id)
        .slice(0, limit)
        .map((s) => ({
          id: s.id,
          sourceType: s.normalized.item.source_type,
          externalId: s.normalized.item.external_id,
          xid: String(s.version),
          transformStatus: s.normalized.item.transform_status as TransformStatus
        }))
      const last = changed.at(-1)
      return {
        items: changed,
        next:
          changed.length === limit && last !== undefined
            ? { xid: last.xid, id: last.id }
            : { xid: String(version + 1), id: 0 }
      }
    })

  return { upsert, discover, setStatus, get, countByStatus, listByStatus, stale, search, changes }
})
