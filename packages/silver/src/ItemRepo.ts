/**
 * Items and everything derived from them: batch upserts from the transform,
 * discovery, status changes, and the reads operators and sensors need.
 */
import { Context, Effect, Layer, Option, Schema, SchemaTransformation } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import * as Item from "./Item.ts"
import {
  CHILD_KINDS,
  type ChildKind,
  keyOf,
  type NormalizedItem,
  normalizeBatch,
  type DiscoveredFields,
  normalizeDiscovered,
  normalizeStatus
} from "./ItemRows.ts"
import * as ItemRepoMemory from "./ItemRepoMemory.ts"
import type { ItemRepoShape, StaleQuery, StatusQuery } from "./ItemRepoShape.ts"
import { SilverDatabase } from "./SilverDatabase.ts"
import * as ItemRepoSearch from "./ItemRepoSearch.ts"
import * as SearchText from "./SearchText.ts"
import {
  type DatabaseError,
  type DatabaseUnavailable,
  refusedForData,
  serverMessage,
  undecodable
} from "./SilverError.ts"
import {
  FetchStatus as FetchStatusSchema,
  TranscriptionStatus as TranscriptionStatusSchema,
  TransformStatus as TransformStatusSchema
} from "./Status.ts"

/** The channel notified (in the writing transaction) whenever items change. */
export const CHANGED_CHANNEL = "medallion_silver_changed"

export type { ItemRepoShape, SearchQuery, StaleQuery, StatusQuery } from "./ItemRepoShape.ts"

export class ItemRepo extends Context.Service<ItemRepo, ItemRepoShape>()("@medallion/silver/ItemRepo") {
  /** On PostgreSQL, through `SilverDatabase`. */
  static readonly layer: Layer.Layer<ItemRepo, never, SilverDatabase> = Layer.effect(
    ItemRepo,
    Effect.gen(function* () {
      return make(yield* SilverDatabase)
    })
  )

  /** An empty in-memory repository (a fresh one per layer build): for unit tests, no database. */
  static readonly layerTest: Layer.Layer<ItemRepo> = Layer.effect(ItemRepo, ItemRepoMemory.make)
}

/** The start of the change feed. */
export const changesFromStart: Item.ChangeCursor = { xid: "0", id: 0 }

const ITEM_COLUMNS = `source_type text, external_id text, title text, url text, author text, published_at timestamptz,
  language text, body_text text, excerpt text, site_name text, categories text[], secondary_text text,
  extractor text, published_unparsed text, fetch_status text, fetch_error text, transcription_status text,
  transcription_error text, transform_status text, transform_error text, transform_version integer,
  row_digest text, artifacts_digest text, comments_digest text, segments_digest text, media_digest text,
  enrichments_digest text, search_title text, search_body text, search_secondary text`

const CHILD_TABLES: Record<ChildKind, { table: string; columns: string; names: string }> = {
  artifacts: {
    table: "item_artifacts",
    columns:
      "item_id bigint, artifact_type text, ext text, sha256 text, size bigint, location text, written_at timestamptz",
    names: "item_id, artifact_type, ext, sha256, size, location, written_at"
  },
  comments: {
    table: "comments",
    columns: `item_id bigint, external_id text, parent_external_id text, position integer, depth integer, author text,
      body_text text, published_at timestamptz, deleted boolean, artifact_type text, artifact_ext text`,
    names:
      "item_id, external_id, parent_external_id, position, depth, author, body_text, published_at, deleted, artifact_type, artifact_ext"
  },
  segments: {
    table: "transcript_segments",
    columns: `item_id bigint, position integer, start_seconds double precision, end_seconds double precision, text text,
      speaker text, language text, artifact_type text, artifact_ext text`,
    names: "item_id, position, start_seconds, end_seconds, text, speaker, language, artifact_type, artifact_ext"
  },
  media: {
    table: "media",
    columns: `item_id bigint, position integer, kind text, url text, mime_type text, duration_seconds double precision,
      bytes bigint, artifact_type text, artifact_ext text`,
    names: "item_id, position, kind, url, mime_type, duration_seconds, bytes, artifact_type, artifact_ext"
  },
  enrichments: {
    table: "enrichments",
    columns: "item_id bigint, kind text, model text, summary_text text, artifact_type text, artifact_ext text",
    names: "item_id, kind, model, summary_text, artifact_type, artifact_ext"
  }
}

const DIGEST_COLUMN: Record<ChildKind, string> = {
  artifacts: "artifactsDigest",
  comments: "commentsDigest",
  segments: "segmentsDigest",
  media: "mediaDigest",
  enrichments: "enrichmentsDigest"
}

/** A `bigint` column: the driver hands over a JavaScript `bigint`, read as the number the read models carry. */
const NumberFromBigInt = Schema.BigInt.pipe(
  Schema.decodeTo(
    Schema.Number,
    SchemaTransformation.transform({ decode: (value) => Number(value), encode: (value) => BigInt(value) })
  )
)

/** An item as the upsert finds it (locked), to compare digests. */
const ExistingRow = Schema.Struct({
  id: Schema.BigInt,
  sourceType: Schema.String,
  externalId: Schema.String,
  rowDigest: Schema.NullOr(Schema.String),
  artifactsDigest: Schema.NullOr(Schema.String),
  commentsDigest: Schema.NullOr(Schema.String),
  segmentsDigest: Schema.NullOr(Schema.String),
  mediaDigest: Schema.NullOr(Schema.String),
  enrichmentsDigest: Schema.NullOr(Schema.String)
})
type ExistingRow = typeof ExistingRow.Type

/** An item the upsert wrote (inserted, or updated because a digest changed). */
const WrittenRow = Schema.Struct({
  id: NumberFromBigInt,
  sourceType: Schema.String,
  externalId: Schema.String,
  inserted: Schema.Boolean
})

/** An item `discover` wrote (inserted, or its listing state changed). */
const DiscoveredRow = Schema.Struct({ id: Schema.BigInt, inserted: Schema.Boolean })

/** The prepared text `body_tsv` is computed from (`silver_search_vector`, migration 0006). */
const searchColumns = (item: { title: string | null; body_text: string | null; secondary_text: string | null }) => {
  const prepared = SearchText.document({ title: item.title, body: item.body_text, secondary: item.secondary_text })
  return { search_title: prepared.title, search_body: prepared.body, search_secondary: prepared.secondary }
}

// The id is a bigint: selected as text, so the driver hands over a string the Schema reads.
const SUMMARY_COLUMNS = `id::text as id, source_type, external_id, title, url, published_at, fetch_status, fetch_error,
  transcription_status, transcription_error, transform_status, transform_error, transform_version, updated_at`

/** The summary columns as PostgreSQL returns them: decoded with Schema, not cast. */
const SummaryRow = Schema.Struct({
  id: Schema.NumberFromString,
  sourceType: Schema.String,
  externalId: Schema.String,
  title: Schema.NullOr(Schema.String),
  url: Schema.NullOr(Schema.String),
  publishedAt: Schema.NullOr(Schema.DateTimeUtcFromDate),
  fetchStatus: FetchStatusSchema,
  fetchError: Schema.NullOr(Schema.String),
  transcriptionStatus: TranscriptionStatusSchema,
  transcriptionError: Schema.NullOr(Schema.String),
  transformStatus: TransformStatusSchema,
  transformError: Schema.NullOr(Schema.String),
  transformVersion: Schema.Int,
  updatedAt: Schema.DateTimeUtcFromDate
})

const ItemRecord = Schema.Struct({
  ...SummaryRow.fields,
  author: Schema.NullOr(Schema.String),
  language: Schema.NullOr(Schema.String),
  bodyText: Schema.NullOr(Schema.String),
  excerpt: Schema.NullOr(Schema.String),
  siteName: Schema.NullOr(Schema.String),
  categories: Schema.NullOr(Schema.Array(Schema.String)),
  secondaryText: Schema.NullOr(Schema.String),
  extractor: Schema.NullOr(Schema.String),
  publishedUnparsed: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtcFromDate
})

const CountRow = Schema.Struct({
  sourceType: Schema.String,
  fetchStatus: FetchStatusSchema,
  transcriptionStatus: TranscriptionStatusSchema,
  transformStatus: TransformStatusSchema,
  count: Schema.NumberFromString
})

// The child rows of `get`, as PostgreSQL returns them (`item_artifacts`, `comments`, `transcript_segments`,
// `media`, `enrichments`).
const ArtifactRow = Schema.Struct({
  artifactType: Schema.String,
  ext: Schema.String,
  artifactName: Schema.String,
  sha256: Schema.String,
  size: NumberFromBigInt,
  location: Schema.String,
  writtenAt: Schema.NullOr(Schema.DateTimeUtcFromDate)
})

const CommentRow = Schema.Struct({
  externalId: Schema.String,
  parentExternalId: Schema.NullOr(Schema.String),
  position: Schema.Int,
  depth: Schema.Int,
  author: Schema.NullOr(Schema.String),
  bodyText: Schema.NullOr(Schema.String),
  publishedAt: Schema.NullOr(Schema.DateTimeUtcFromDate),
  deleted: Schema.Boolean,
  artifactType: Schema.String,
  artifactExt: Schema.String
})

const SegmentRow = Schema.Struct({
  position: Schema.Int,
  startSeconds: Schema.Number,
  endSeconds: Schema.Number,
  text: Schema.String,
  speaker: Schema.NullOr(Schema.String),
  language: Schema.NullOr(Schema.String),
  artifactType: Schema.String,
  artifactExt: Schema.String
})

const MediaRow = Schema.Struct({
  position: Schema.Int,
  kind: Item.MediaKind,
  url: Schema.NullOr(Schema.String),
  mimeType: Schema.NullOr(Schema.String),
  durationSeconds: Schema.NullOr(Schema.Number),
  bytes: Schema.NullOr(NumberFromBigInt),
  artifactType: Schema.NullOr(Schema.String),
  artifactExt: Schema.NullOr(Schema.String)
})

const EnrichmentRow = Schema.Struct({
  kind: Schema.String,
  model: Schema.String,
  summaryText: Schema.String,
  artifactType: Schema.String,
  artifactExt: Schema.String
})

const ChangeRow = Schema.Struct({
  id: Schema.NumberFromString,
  sourceType: Schema.String,
  externalId: Schema.String,
  xid: Schema.String,
  transformStatus: TransformStatusSchema
})

/** The change feed's upper bound: the oldest transaction still in progress (an `xid8`, as text). */
const WatermarkRow = Schema.Struct({ watermark: Schema.String })

const decodeStatus = Schema.decodeUnknownEffect(Item.StatusUpdate)

const invalidBatch = (items: ReadonlyArray<{ sourceType: unknown; externalId: unknown }>) => (error: Error) =>
  new Item.InvalidItem({
    sourceType: String(items[0]?.sourceType ?? ""),
    externalId: String(items[0]?.externalId ?? ""),
    message: error.message
  })

/** The probe of `isolate` wrote its item: rolled back on purpose. */
class ProbeWritten {}

const refusedItem = (key: Item.ItemKey, error: DatabaseError) =>
  Effect.fail(
    new Item.InvalidItem({
      sourceType: key.sourceType,
      externalId: key.externalId,
      message: `PostgreSQL refused it: ${serverMessage(error.cause) ?? error.message}`
    })
  )

const make = (db: SilverDatabase["Service"]): ItemRepoShape => {
  const sql = db.client
  const json = (value: unknown) => JSON.stringify(value)

  // Locks the items that exist, in id order, so that two writers of one item serialize.
  const lockExisting = SqlSchema.findAll({
    Request: Schema.String,
    Result: ExistingRow,
    execute: (keys) => sql`
        select id, source_type, external_id, row_digest, artifacts_digest, comments_digest, segments_digest,
               media_digest, enrichments_digest
        from items
        where (source_type, external_id) in (
          select k.source_type, k.external_id from json_to_recordset(${keys}::json) as k(source_type text, external_id text))
        order by id
        for update`
  })

  const writeItems = SqlSchema.findAll({
    Request: Schema.String,
    Result: WrittenRow,
    execute: (itemRows) => sql`
        insert into items (source_type, external_id, title, url, author, published_at, language, body_text,
          excerpt, site_name, categories, secondary_text, extractor, published_unparsed, fetch_status, fetch_error, transcription_status, transcription_error, transform_status, transform_error,
          transform_version, row_digest, artifacts_digest, comments_digest, segments_digest, media_digest,
          enrichments_digest, body_tsv)
        select source_type, external_id, title, url, author, published_at, language, body_text,
          excerpt, site_name, categories, secondary_text, extractor, published_unparsed, fetch_status, fetch_error, transcription_status, transcription_error, transform_status, transform_error,
          transform_version, row_digest, artifacts_digest, comments_digest, segments_digest, media_digest,
          enrichments_digest, silver_search_vector(language, search_title, search_body, search_secondary)
        from json_to_recordset(${itemRows}::json) as x(${sql.literal(ITEM_COLUMNS)})
        on conflict (source_type, external_id) do update set
          title = excluded.title, url = excluded.url, author = excluded.author,
          published_at = excluded.published_at, language = excluded.language, body_text = excluded.body_text,
          excerpt = excluded.excerpt, site_name = excluded.site_name, categories = excluded.categories,
          secondary_text = excluded.secondary_text, extractor = excluded.extractor,
          published_unparsed = excluded.published_unparsed,
          fetch_status = excluded.fetch_status, fetch_error = excluded.fetch_error,
          transcription_status = excluded.transcription_status, transcription_error = excluded.transcription_error,
          transform_status = excluded.transform_status, transform_error = excluded.transform_error,
          transform_version = excluded.transform_version, row_digest = excluded.row_digest,
          artifacts_digest = excluded.artifacts_digest, comments_digest = excluded.comments_digest,
          segments_digest = excluded.segments_digest, media_digest = excluded.media_digest,
          enrichments_digest = excluded.enrichments_digest, body_tsv = excluded.body_tsv
        where (items.row_digest, items.artifacts_digest, items.comments_digest, items.segments_digest,
               items.media_digest, items.enrichments_digest)
          is distinct from (excluded.row_digest, excluded.artifacts_digest, excluded.comments_digest,
               excluded.segments_digest, excluded.media_digest, excluded.enrichments_digest)
        returning id, source_type, external_id, (xmax = 0) as inserted`
  })

  const writeBatch = (batch: ReadonlyArray<NormalizedItem>) =>
    Effect.gen(function* () {
      const keys = json(batch.map((n) => ({ source_type: n.item.source_type, external_id: n.item.external_id })))
      const existing = yield* lockExisting(keys).pipe(undecodable("ItemRepo.upsert", "items locked for update"))
      const byKey = new Map(existing.map((row) => [keyOf(row), row]))
      const changed = batch.filter((n) => {
        const row = byKey.get(keyOf({ sourceType: n.item.source_type, externalId: n.item.external_id }))
        return (
          row === undefined ||
          row.rowDigest !== n.digests.row ||
          CHILD_KINDS.some((kind) => row[DIGEST_COLUMN[kind] as keyof ExistingRow] !== n.digests[kind])
        )
      })
      if (changed.length === 0) return { inserted: 0, updated: 0, unchanged: batch.length }

      const itemRows = json(
        changed.map((n) => ({
          ...n.item,
          ...searchColumns(n.item),
          row_digest: n.digests.row,
          artifacts_digest: n.digests.artifacts,
          comments_digest: n.digests.comments,
          segments_digest: n.digests.segments,
          media_digest: n.digests.media,
          enrichments_digest: n.digests.enrichments
        }))
      )
      const written = yield* writeItems(itemRows).pipe(undecodable("ItemRepo.upsert", "items written"))
      const ids = new Map(written.map((row) => [keyOf(row), row.id]))

      for (const kind of CHILD_KINDS) {
        // A child kind is rewritten when its digest changed, or when the item
        // was not locked above (new, or written meanwhile by another writer).
        const rewrite = changed.filter((n) => {
          const key = keyOf({ sourceType: n.item.source_type, externalId: n.item.external_id })
          if (!ids.has(key)) return false
          const before = byKey.get(key)
          return before === undefined || before[DIGEST_COLUMN[kind] as keyof ExistingRow] !== n.digests[kind]
        })
        if (rewrite.length === 0) continue
        const table = CHILD_TABLES[kind]
        const itemIds = rewrite.map((n) =>
          ids.get(keyOf({ sourceType: n.item.source_type, externalId: n.item.external_id }))!
        )
        yield* sql`delete from ${sql(table.table)}
                   where item_id in (select value::bigint from json_array_elements_text(${json(itemIds)}::json))`
        const rows = rewrite.flatMap((n, i) =>
          (n[kind] as ReadonlyArray<object>).map((row) => ({ item_id: itemIds[i], ...row }))
        )
        if (rows.length === 0) continue
        yield* sql`insert into ${sql(table.table)} (${sql.literal(table.names)})
                   select ${sql.literal(table.names)}
                   from json_to_recordset(${json(rows)}::json) as x(${sql.literal(table.columns)})`
      }
      const inserted = written.filter((row) => row.inserted).length
      if (written.length > 0) {
        yield* sql`select pg_notify(${CHANGED_CHANNEL}, ${json({ table: "items", count: written.length })})`
      }
      return { inserted, updated: written.length - inserted, unchanged: batch.length - written.length }
    })

  /**
   * A batch PostgreSQL refused for its data (a value the Schema could not foresee, such as a title whose
   * search vector would pass 1 MB): each item is written alone, in a transaction always rolled back, to
   * name the one it refuses, as an `InvalidItem` with PostgreSQL's reason, so the caller can set it aside
   * and write the others. Any other failure, or a batch no single item of which is refused, stays as it is.
   */
  const isolate = <I>(
    operation: string,
    entries: ReadonlyArray<{ readonly key: Item.ItemKey; readonly input: I }>,
    error: DatabaseError,
    write: (input: I) => Effect.Effect<unknown, SqlError | DatabaseError>
  ): Effect.Effect<never, DatabaseError | DatabaseUnavailable | Item.InvalidItem> =>
    Effect.gen(function* () {
      if (!refusedForData(error)) return yield* error
      if (entries.length === 1) return yield* refusedItem(entries[0]!.key, error)
      for (const { input, key } of entries) {
        const probe = yield* db
          .resilient(operation, sql.withTransaction(Effect.andThen(write(input), Effect.fail(new ProbeWritten()))))
          .pipe(Effect.flip)
        if (probe instanceof ProbeWritten) continue
        if (probe._tag === "DatabaseError" && refusedForData(probe)) return yield* refusedItem(key, probe)
        return yield* probe
      }
      return yield* error
    })

  const upsert = Effect.fn("ItemRepo.upsert")(function* (items: ReadonlyArray<Item.ItemInput>) {
    if (items.length === 0) return { inserted: 0, updated: 0, unchanged: 0 }
    const batch = yield* normalizeBatch(items)
    return yield* db.resilient("ItemRepo.upsert", sql.withTransaction(writeBatch(batch))).pipe(
      Effect.catchTag("DatabaseError", (error) =>
        isolate(
          "ItemRepo.upsert",
          batch.map((n) => ({ key: { sourceType: n.item.source_type, externalId: n.item.external_id }, input: n })),
          error,
          (n) => writeBatch([n])
        )
      )
    )
  })

  // A row known only from listings (nothing transformed, no artifact) takes the newest listing's state:
  // listed beyond the source's limit it is skipped, within it pending again. Other rows stay as they are.
  const writeListed = SqlSchema.findAll({
    Request: Schema.String,
    Result: DiscoveredRow,
    execute: (prepared) => sql`
        insert into items as i (source_type, external_id, title, url, fetch_status, fetch_error, body_tsv)
        select distinct on (source_type, external_id) source_type, external_id, title, url, fetch_status, fetch_error,
          silver_search_vector(null, search_title, null, null)
        from json_to_recordset(${prepared}::json)
          as x(source_type text, external_id text, title text, url text, search_title text, fetch_status text,
               fetch_error text)
        on conflict (source_type, external_id) do update
          set fetch_status = excluded.fetch_status, fetch_error = excluded.fetch_error
          where i.transform_status = 'pending' and i.transform_version = 0
            and i.fetch_status in ('pending', 'skipped')
            and (i.fetch_status, i.fetch_error) is distinct from (excluded.fetch_status, excluded.fetch_error)
            and not exists (select 1 from item_artifacts a where a.item_id = i.id)
        returning id, (xmax = 0) as inserted`
  })

  const writeDiscovered = (rows: ReadonlyArray<DiscoveredFields>) =>
    Effect.gen(function* () {
      const prepared = rows.map((row) => ({ ...row, search_title: SearchText.document({ title: row.title }).title }))
      const written = yield* writeListed(json(prepared)).pipe(undecodable("ItemRepo.discover"))
      if (written.length > 0) {
        yield* sql`select pg_notify(${CHANGED_CHANNEL}, ${json({ table: "items", count: written.length })})`
      }
      return { discovered: written.filter((row) => row.inserted).length }
    })

  const discover = Effect.fn("ItemRepo.discover")(function* (items: ReadonlyArray<Item.DiscoveredItem>) {
    if (items.length === 0) return { discovered: 0 }
    const rows = (yield* normalizeDiscovered(items)).sort((a, b) =>
      keyOf({ sourceType: a.source_type, externalId: a.external_id }) <
      keyOf({ sourceType: b.source_type, externalId: b.external_id })
        ? -1
        : 1
    )
    return yield* db.resilient("ItemRepo.discover", sql.withTransaction(writeDiscovered(rows)))
  })

  const setStatus = Effect.fn("ItemRepo.setStatus")(function* (updates: ReadonlyArray<Item.StatusUpdate>) {
    if (updates.length === 0) return { updated: 0 }
    const changes: Array<object> = []
    for (const update of updates) {
      const decoded = yield* decodeStatus(update).pipe(Effect.mapError(invalidBatch([update])))
      const change = normalizeStatus(decoded)
      if (change instanceof Item.InvalidItem) return yield* change
      changes.push(change)
    }
    const rows = yield* db.resilient(
      "ItemRepo.setStatus",
      sql.withTransaction(
        Effect.gen(function* () {
          // Only counted: the rows' values are not read.
          const rows = yield* sql`
            with input as (
              select * from json_to_recordset(${json(changes)}::json) as x(
                source_type text, external_id text, fetch_status text, fetch_error text, set_fetch boolean,
                transcription_status text, transcription_error text, set_transcription boolean,
                transform_status text, transform_error text, set_transform boolean, transform_version integer)
            ), target as (
              select i.id,
                case when x.set_fetch then x.fetch_status else i.fetch_status end as fetch_status,
                case when x.set_fetch then x.fetch_error else i.fetch_error end as fetch_error,
                case when x.set_transcription then x.transcription_status else i.transcription_status end as transcription_status,
                case when x.set_transcription then x.transcription_error else i.transcription_error end as transcription_error,
                case when x.set_transform then x.transform_status else i.transform_status end as transform_status,
                case when x.set_transform then x.transform_error else i.transform_error end as transform_error,
                coalesce(x.transform_version, i.transform_version) as transform_version
              from input x join items i using (source_type, external_id)
              order by i.id
            )
            update items i set
              fetch_status = t.fetch_status, fetch_error = t.fetch_error,
              transcription_status = t.transcription_status, transcription_error = t.transcription_error,
              transform_status = t.transform_status, transform_error = t.transform_error,
              transform_version = t.transform_version,
              -- The stored fields no longer match the last upsert: the next upsert writes again.
              row_digest = null
            from target t
            where i.id = t.id
              and (i.fetch_status, i.fetch_error, i.transcription_status, i.transcription_error, i.transform_status,
                   i.transform_error, i.transform_version)
                is distinct from (t.fetch_status, t.fetch_error, t.transcription_status, t.transcription_error,
                   t.transform_status, t.transform_error, t.transform_version)
            returning i.id`
          if (rows.length > 0) {
            yield* sql`select pg_notify(${CHANGED_CHANNEL}, ${json({ table: "items", count: rows.length })})`
          }
          return rows
        })
      )
    )
    return { updated: rows.length }
  })

  // The child rows of one item, by its id (as text).
  const artifactsOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: ArtifactRow,
    execute: (id) => sql`
      select artifact_type, ext, artifact_name, sha256, size, location, written_at
      from item_artifacts where item_id = ${id}::bigint order by artifact_type, ext`
  })
  const commentsOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: CommentRow,
    execute: (id) => sql`
      select external_id, parent_external_id, position, depth, author, body_text, published_at, deleted,
             artifact_type, artifact_ext
      from comments where item_id = ${id}::bigint order by position`
  })
  const segmentsOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: SegmentRow,
    execute: (id) => sql`
      select position, start_seconds, end_seconds, text, speaker, language, artifact_type, artifact_ext
      from transcript_segments where item_id = ${id}::bigint order by position`
  })
  const mediaOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: MediaRow,
    execute: (id) => sql`
      select position, kind, url, mime_type, duration_seconds, bytes, artifact_type, artifact_ext
      from media where item_id = ${id}::bigint order by position`
  })
  const enrichmentsOf = SqlSchema.findAll({
    Request: Schema.String,
    Result: EnrichmentRow,
    execute: (id) => sql`
      select kind, model, summary_text, artifact_type, artifact_ext
      from enrichments where item_id = ${id}::bigint order by kind, model`
  })

  const get = Effect.fn("ItemRepo.get")(function* (key: Item.ItemKey) {
    return yield* db
      .resilient(
        "ItemRepo.get",
        Effect.gen(function* () {
          const found = yield* SqlSchema.findOneOption({
            Request: Schema.Struct({ sourceType: Schema.String, externalId: Schema.String }),
            Result: ItemRecord,
            execute: (request) => sql`
            select ${sql.literal(SUMMARY_COLUMNS)}, author, language, body_text, excerpt, site_name, categories,
                   secondary_text, extractor, published_unparsed, created_at
            from items where source_type = ${request.sourceType} and external_id = ${request.externalId}`
          })(key)
          if (Option.isNone(found)) return Option.none()
          const row = found.value
          const id = String(row.id)
          const [artifacts, comments, segments, media, enrichments] = yield* Effect.all(
            [
              artifactsOf(id).pipe(undecodable("ItemRepo.get", "item_artifacts")),
              commentsOf(id).pipe(undecodable("ItemRepo.get", "comments")),
              segmentsOf(id).pipe(undecodable("ItemRepo.get", "transcript_segments")),
              mediaOf(id).pipe(undecodable("ItemRepo.get", "media")),
              enrichmentsOf(id).pipe(undecodable("ItemRepo.get", "enrichments"))
            ],
            { concurrency: 1 }
          )
          const detail: Item.ItemDetail = {
            item: { ...row, categories: row.categories ?? [] },
            artifacts,
            comments,
            segments,
            media,
            enrichments
          }
          return Option.some(detail)
        })
      )
      .pipe(undecodable("ItemRepo.get", "items"))
  })

  const countByStatus = Effect.fn("ItemRepo.countByStatus")(function* (options?: {
    readonly sourceType?: string | undefined
  }) {
    return yield* db
      .resilient(
        "ItemRepo.countByStatus",
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: CountRow,
          execute: () => sql`
            select source_type, fetch_status, transcription_status, transform_status, count(*)::text as count
            from items
            where ${options?.sourceType === undefined ? sql.literal("true") : sql`source_type = ${options.sourceType}`}
            group by 1, 2, 3, 4
            order by 1, 2, 3, 4`
        })(undefined)
      )
      .pipe(undecodable("ItemRepo.countByStatus"))
  })

  const listByStatus = Effect.fn("ItemRepo.listByStatus")(function* (query: StatusQuery) {
    const conditions = [
      query.sourceType === undefined ? undefined : sql`source_type = ${query.sourceType}`,
      query.fetchStatus === undefined ? undefined : sql`fetch_status = ${query.fetchStatus}`,
      query.transcriptionStatus === undefined ? undefined : sql`transcription_status = ${query.transcriptionStatus}`,
      query.transformStatus === undefined ? undefined : sql`transform_status = ${query.transformStatus}`,
      sql`id > ${String(query.afterId ?? 0)}::bigint`
    ].filter((c) => c !== undefined)
    return yield* db
      .resilient(
        "ItemRepo.listByStatus",
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: SummaryRow,
          execute: () => sql`select ${sql.literal(SUMMARY_COLUMNS)} from items where ${sql.and(conditions)}
                             order by id limit ${query.limit}`
        })(undefined)
      )
      .pipe(undecodable("ItemRepo.listByStatus"))
  })

  const stale = Effect.fn("ItemRepo.stale")(function* (query: StaleQuery) {
    return yield* db
      .resilient(
        "ItemRepo.stale",
        SqlSchema.findAll({
          Request: Schema.Void,
          Result: SummaryRow,
          execute: () => sql`
            select ${sql.literal(SUMMARY_COLUMNS)} from items
            where source_type = ${query.sourceType} and transform_version < ${query.currentVersion}
              and id > ${String(query.afterId ?? 0)}::bigint
            order by id limit ${query.limit}`
        })(undefined)
      )
      .pipe(undecodable("ItemRepo.stale"))
  })

  const search = ItemRepoSearch.make(db)

  const changes = Effect.fn("ItemRepo.changes")(function* (cursor: Item.ChangeCursor, limit: number) {
    return yield* db
      .resilient(
        "ItemRepo.changes",
        Effect.gen(function* () {
          const { watermark } = yield* SqlSchema.findOne({
            Request: Schema.Void,
            Result: WatermarkRow,
            execute: () => sql`select pg_snapshot_xmin(pg_current_snapshot())::text as watermark`
          })(undefined).pipe(undecodable("ItemRepo.changes", "watermark"))
          const items = yield* SqlSchema.findAll({
            Request: Schema.Void,
            Result: ChangeRow,
            execute: () => sql`
            select id::text as id, source_type, external_id, xid::text as xid, transform_status from items
            where xid >= ${cursor.xid}::xid8 and xid < ${watermark}::xid8
              and (xid > ${cursor.xid}::xid8 or id > ${String(cursor.id)}::bigint)
            order by xid, id
            limit ${limit}`
          })(undefined)
          const last = items.at(-1)
          const next: Item.ChangeCursor =
            items.length === limit && last !== undefined ? { xid: last.xid, id: last.id } : { xid: watermark, id: 0 }
          return { items, next }
        })
      )
      .pipe(undecodable("ItemRepo.changes"))
  })

  return { upsert, discover, setStatus, get, countByStatus, listByStatus, stale, search, changes }
}
