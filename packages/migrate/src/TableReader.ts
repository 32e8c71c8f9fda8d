/**
 * Reads a mapped legacy table in key order with bounded memory. A server-side cursor walks the keys with
 * the size of each row's raw values (`octet_length`, which PostgreSQL answers without reading the
 * values); rows are then fetched by key range in batches of at most `batchBytes` on the wire (a row
 * larger than that alone, a row over the session's row limit not at all; values read as digests weigh
 * nothing) and 500 rows. Everything runs in one read-only snapshot
 * (`LegacyDatabase.snapshot`), so the cursor and the fetches agree.
 *
 * Raw values arrive as bytes: text and JSON converted to UTF-8 by the server (`convert_to`), bytea as
 * stored. No value is decoded on the way, so an invalid byte is migrated as it is rather than
 * breaking the session.
 */
import { Effect, Option, Stream } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { LegacyDatabase } from "./LegacyDatabase.ts"
import type { Column, Table } from "./LegacyCatalog.ts"
import type { LegacyRow, RawValue } from "./LegacyRow.ts"
import type * as Mapping from "./Mapping.ts"
import * as RowPlan from "./RowPlan.ts"

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

const KEYS_PER_FETCH = 1000
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
const MAX_BATCH_ROWS = 500

/** The SQL of one mapped table against its catalog entry. */
export interface TableQueries {
  readonly from: string
  readonly keyList: string
  /** `(k1, k2)` compared with `($1::t1, $2::t2)` starting at parameter `first`. */
  readonly keyParams: (first: number) => string
  /** The text form of every key column, in order. */
  readonly keyText: string
  readonly sizes: string
  /** What a row's raw values weigh on the wire: the values read as digests count as 0. */
  readonly travel: string
  readonly select: string
  /** The external id as text. */
  readonly externalId: string
  /** The raw columns (by index) read as their digest. */
  readonly digests: ReadonlySet<number>
}

const columnOf = (catalog: Table, name: string): Column => {
  const column = catalog.columns.find((c) => c.name === name)
  if (column === undefined) throw new Error(`no column ${name} in ${catalog.schema}.${catalog.name}`)
  return column
}

/** The value's bytes: bytea as stored, anything else as its text in UTF-8. */
const rawExpression = (column: Column): string => {
  const c = `t.${quoteIdent(column.name)}`
  return column.typeClass === "bytea" ? c : `convert_to(${c}::text, 'UTF8')`
}

/**
 * Its size, without reading the value where the server can: `octet_length` of text (a cast from a
 * text type or json is a relabel, so the stored size answers) or bytea; jsonb and xml are printed first.
 */
const sizeExpression = (column: Column): string => {
  const c = `t.${quoteIdent(column.name)}`
  return column.typeClass === "bytea" ? `octet_length(${c})` : `octet_length(${c}::text)`
}

/**
 * The size of the value's bytes as `rawExpression` gives them, for a digest read beside it. Text in a
 * UTF-8 database is already those bytes, so its stored size answers; elsewhere the conversion is measured.
 * (`octet_length(convert_to(...))` beside `sha256(convert_to(...))` converts the value twice, and made
 * the digest query six times slower than the hash alone.)
 */
const digestSizeExpression = (column: Column): string => {
  if (column.typeClass === "bytea") return sizeExpression(column)
  return `case when current_setting('server_encoding') = 'UTF8' then ${sizeExpression(column)} else octet_length(${rawExpression(column)}) end`
}

/** Epoch milliseconds of a timestamp (without a zone: read as UTC) or a date. */
const timeExpression = (column: Column): string => `(extract(epoch from t.${quoteIdent(column.name)}) * 1000)::float8`

const textExpression = (column: Column): string => `t.${quoteIdent(column.name)}::text`

/**
 * The item's id. A feed entry of a table that names its feed is `<feed url> <guid>`, as the fetch side
 * keys entries (`FeedEntryId.entryId`); without a feed URL, the guid alone.
 */
const externalIdExpression = (table: Mapping.ResolvedTable, catalog: Table): string => {
  const id = textExpression(columnOf(catalog, table.spec.externalId))
  const feedUrl = table.spec.source === "feed" ? table.spec.entry?.feedUrl : undefined
  return feedUrl === undefined ? id : `coalesce(${textExpression(columnOf(catalog, feedUrl))} || ' ' || ${id}, ${id})`
}

export const queries = (table: Mapping.ResolvedTable, catalog: Table, digests = false): TableQueries => {
  const spec = table.spec
  // Every column is qualified by the table's alias: an output name (`id`) never shadows a key column.
  const from = `${quoteIdent(table.schema)}.${quoteIdent(table.name)} as t`
  const keyColumns = table.key.map((k) => columnOf(catalog, k))
  const keyList = keyColumns.map((c) => `t.${quoteIdent(c.name)}`).join(", ")
  const keyParams = (first: number) => `(${keyColumns.map((c, i) => `$${first + i}::${c.type}`).join(", ")})`
  const keyText = keyColumns.map((c, i) => `${textExpression(c)} as k${i}`).join(", ")
  const raw = table.artifacts.map((a) => columnOf(catalog, a.column))
  // The server hashes what the plan never looks into: only 64 characters travel instead of the value.
  const digestIndexes = new Set(digests ? table.artifacts.flatMap((a, i) => (RowPlan.digestable(a) ? [i] : [])) : [])
  const sum = (columns: ReadonlyArray<Column>) =>
    columns.length === 0 ? "0" : columns.map((c) => `coalesce(${sizeExpression(c)}, 0)`).join(" + ")
  const sizes = sum(raw)
  const travel = sum(raw.filter((_, i) => !digestIndexes.has(i)))
  const optional = (name: string | undefined, alias: string, expression: (c: Column) => string) =>
    name === undefined ? `null as ${alias}` : `${expression(columnOf(catalog, name))} as ${alias}`
  const entryFields = Object.entries(spec.entry ?? {}).map(([field, name]) => {
    const c = columnOf(catalog, name)
    return `${c.typeClass === "time" || c.typeClass === "date" ? timeExpression(c) : textExpression(c)} as ${quoteIdent(`e_${field}`)}`
  })
  const select = [
    keyText,
    `${externalIdExpression(table, catalog)} as id`,
    optional(spec.fetchedAt, "fetched_at", timeExpression),
    optional(spec.updatedAt, "updated_at", timeExpression),
    optional(spec.url, "url", textExpression),
    optional(spec.fetchStatus?.column, "fetch_status", textExpression),
    optional(spec.fetchStatus?.reason, "fetch_reason", textExpression),
    optional(spec.transcriptionStatus?.column, "transcription_status", textExpression),
    optional(spec.transcriptionStatus?.reason, "transcription_reason", textExpression),
    ...raw.map((c, i) =>
      digestIndexes.has(i)
        ? `encode(sha256(${rawExpression(c)}), 'hex') as r${i}, ${digestSizeExpression(c)} as rl${i}`
        : `${rawExpression(c)} as r${i}`
    ),
    ...table.artifacts.map((a, i) => optional(a.contentType, `ct${i}`, textExpression)),
    ...entryFields
  ].join(", ")
  return {
    from,
    keyList,
    keyParams,
    keyText,
    sizes: `(${sizes})::float8`,
    travel: `(${travel})::float8`,
    select,
    externalId: externalIdExpression(table, catalog),
    digests: digestIndexes
  }
}

type Raw = Record<string, unknown>

const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))
const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const bytesOrNull = (v: unknown): Uint8Array | null =>
  v === null || v === undefined ? null : v instanceof Uint8Array ? v : new TextEncoder().encode(String(v))

const keyOf = (row: Raw, count: number): Array<string> => Array.from({ length: count }, (_, i) => String(row[`k${i}`]))

const rawValue = (row: Raw, i: number, digests: ReadonlySet<number>): RawValue => {
  const v = row[`r${i}`]
  if (!digests.has(i)) return bytesOrNull(v)
  return v === null || v === undefined ? null : { _tag: "Digest", sha256: String(v), size: Number(row[`rl${i}`]) }
}

const toRow = (table: Mapping.ResolvedTable, row: Raw, bytes: number, digests: ReadonlySet<number>): LegacyRow => ({
  key: keyOf(row, table.key.length),
  externalId: textOrNull(row["id"]),
  fetchedAt: numberOrNull(row["fetched_at"]),
  updatedAt: numberOrNull(row["updated_at"]),
  url: textOrNull(row["url"]),
  fetchStatus: textOrNull(row["fetch_status"]),
  fetchReason: textOrNull(row["fetch_reason"]),
  transcriptionStatus: textOrNull(row["transcription_status"]),
  transcriptionReason: textOrNull(row["transcription_reason"]),
  raw: table.artifacts.map((_, i) => rawValue(row, i, digests)),
  contentTypes: table.artifacts.map((_, i) => textOrNull(row[`ct${i}`])),
  entry: Object.fromEntries(
    Object.keys(table.spec.entry ?? {}).map((field) => {
      const v = row[`e_${field}`]
      return [field, v === null || v === undefined ? null : typeof v === "number" ? v : String(v)]
    })
  ),
  bytes,
  tooLarge: false
})

/** A row too large to read: its key and id only. */
const tooLargeRow = (
  table: Mapping.ResolvedTable,
  key: ReadonlyArray<string>,
  externalId: string | null,
  bytes: number
): LegacyRow => ({
  key,
  externalId,
  fetchedAt: null,
  updatedAt: null,
  url: null,
  fetchStatus: null,
  fetchReason: null,
  transcriptionStatus: null,
  transcriptionReason: null,
  raw: table.artifacts.map(() => null),
  contentTypes: table.artifacts.map(() => null),
  entry: {},
  bytes,
  tooLarge: true
})

interface SizeEntry {
  readonly key: ReadonlyArray<string>
  readonly externalId: string | null
  readonly bytes: number
  /** The part of `bytes` that travels (all of it unless values are read as digests). */
  readonly travel: number
}

export interface ReadOptions {
  /** Resume after this key (the text of each key column). */
  readonly after?: ReadonlyArray<string> | undefined
  readonly batchBytes?: number | undefined
  /** Read the values the plan never looks into as their digest (`RowPlan.digestable`): for verify. */
  readonly digests?: boolean | undefined
}

let cursorSequence = 0

/** A string literal (the sessions run with `standard_conforming_strings = on`: no backslash escapes). */
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

/**
 * The table's rows in key order, after `after`. Must run inside `LegacyDatabase.snapshot`: the cursor
 * lives in that transaction.
 */
export const rows = (
  table: Mapping.ResolvedTable,
  catalog: Table,
  options: ReadOptions = {}
): Stream.Stream<LegacyRow, SqlError, LegacyDatabase> => {
  const q = queries(table, catalog, options.digests ?? false)
  const keyCount = table.key.length
  const budget = options.batchBytes ?? DEFAULT_BATCH_BYTES
  const cursor = `medallion_legacy_${process.pid}_${++cursorSequence}`
  return Stream.unwrap(
    Effect.gen(function* () {
      const { sql, maxRowBytes } = yield* LegacyDatabase
      const after = options.after
      // A cursor takes no bind parameters: the resume key goes in as quoted literals of the key's type.
      const where =
        after === undefined
          ? ""
          : `where (${q.keyList}) > (${table.key
              .map((k, i) => `${literal(after[i] ?? "")}::${columnOf(catalog, k).type}`)
              .join(", ")})`
      yield* sql.unsafe(
        `declare ${cursor} no scroll cursor for
           select ${q.keyText}, ${q.externalId} as id, ${q.sizes} as bytes, ${q.travel} as travel from ${q.from} ${where} order by ${q.keyList}`
      )
      const pending: Array<SizeEntry> = []
      let exhausted = false
      const fill = Effect.gen(function* () {
        while (!exhausted && pending.length < MAX_BATCH_ROWS) {
          const page = yield* sql.unsafe<Raw>(`fetch forward ${KEYS_PER_FETCH} from ${cursor}`)
          for (const r of page)
            pending.push({
              key: keyOf(r, keyCount),
              externalId: textOrNull(r["id"]),
              bytes: Number(r["bytes"]),
              travel: Number(r["travel"])
            })
          if (page.length < KEYS_PER_FETCH) exhausted = true
        }
      })
      const next: Effect.Effect<ReadonlyArray<LegacyRow> | undefined, SqlError> = Effect.gen(function* () {
        yield* fill
        const first = pending[0]
        if (first === undefined) {
          yield* sql.unsafe(`close ${cursor}`)
          return undefined
        }
        if (first.bytes > maxRowBytes) {
          pending.shift()
          return [tooLargeRow(table, first.key, first.externalId, first.bytes)]
        }
        let count = 1
        let total = first.travel
        while (count < pending.length && count < MAX_BATCH_ROWS) {
          const candidate = pending[count]!
          if (candidate.bytes > maxRowBytes || total + candidate.travel > budget) break
          total += candidate.travel
          count++
        }
        const batch = pending.splice(0, count)
        const last = batch[batch.length - 1]!
        const fetched = yield* sql.unsafe<Raw>(
          `select ${q.select} from ${q.from}
            where (${q.keyList}) >= ${q.keyParams(1)} and (${q.keyList}) <= ${q.keyParams(1 + keyCount)}
            order by ${q.keyList}`,
          [...first.key, ...last.key]
        )
        const sizes = new Map(batch.map((b) => [b.key.join("\u0000"), b.bytes]))
        return fetched.map((r) => {
          const row = toRow(table, r, 0, q.digests)
          return { ...row, bytes: sizes.get(row.key.join("\u0000")) ?? 0 }
        })
      })
      return Stream.paginate(undefined as void, () =>
        Effect.map(next, (batch) =>
          batch === undefined ? ([[], Option.none()] as const) : ([batch, Option.some(undefined)] as const)
        )
      )
    })
  )
}

/** More excluded rows than this: the mapping is wrong (e.g. `externalId` names a column of few values). */
export const MAX_EXCLUDED_ROWS = 100_000

export interface ExcludedRow {
  readonly key: ReadonlyArray<string>
  readonly externalId: string
  /** Duplicates: the key of the first row (in key order) with the same id, the one migrated. */
  readonly keptKey: ReadonlyArray<string> | undefined
}

/** Rows whose external id an earlier row (in key order) of the same table has. */
export const duplicates = (
  table: Mapping.ResolvedTable,
  catalog: Table
): Effect.Effect<ReadonlyArray<ExcludedRow>, SqlError, LegacyDatabase> =>
  Effect.gen(function* () {
    const { sql } = yield* LegacyDatabase
    const q = queries(table, catalog)
    const keyCount = table.key.length
    const rows = yield* sql.unsafe<Raw>(
      `with numbered as (
         select ${q.keyText}, ${q.externalId} as id, row_number() over (partition by ${q.externalId} order by ${q.keyList}) as n
           from ${q.from}
          where ${q.externalId} in (select ${q.externalId} from ${q.from} where ${q.externalId} is not null group by 1 having count(*) > 1)
       )
       select * from numbered order by id, n limit ${MAX_EXCLUDED_ROWS + 1}`
    )
    const out: Array<ExcludedRow> = []
    let kept: ReadonlyArray<string> | undefined
    for (const r of rows) {
      const key = keyOf(r, keyCount)
      if (Number(r["n"]) === 1) kept = key
      else out.push({ key, externalId: String(r["id"]), keptKey: kept })
    }
    return out
  })

/** Rows of `table` whose external id a row of `earlier` (same source type) already has. */
export const collisions = (
  table: Mapping.ResolvedTable,
  catalog: Table,
  earlier: Mapping.ResolvedTable,
  earlierCatalog: Table
): Effect.Effect<ReadonlyArray<ExcludedRow>, SqlError, LegacyDatabase> =>
  Effect.gen(function* () {
    const { sql } = yield* LegacyDatabase
    const q = queries(table, catalog)
    const other = queries(earlier, earlierCatalog)
    const rows = yield* sql.unsafe<Raw>(
      `select ${q.keyText}, ${q.externalId} as id from ${q.from}
        where ${q.externalId} in (select ${other.externalId} from ${other.from} where ${other.externalId} is not null)
        order by ${q.keyList} limit ${MAX_EXCLUDED_ROWS + 1}`
    )
    return rows.map((r) => ({ key: keyOf(r, table.key.length), externalId: String(r["id"]), keptKey: undefined }))
  })

/** Rows after `after` (all rows without it). */
export const count = (
  table: Mapping.ResolvedTable,
  catalog: Table,
  after?: ReadonlyArray<string> | undefined
): Effect.Effect<number, SqlError, LegacyDatabase> =>
  Effect.gen(function* () {
    const { sql } = yield* LegacyDatabase
    const q = queries(table, catalog)
    const rows = yield* sql.unsafe<Raw>(
      `select count(*)::float8 as n from ${q.from}${after === undefined ? "" : ` where (${q.keyList}) > ${q.keyParams(1)}`}`,
      after === undefined ? [] : [...after]
    )
    return Number(rows[0]?.["n"] ?? 0)
  })
