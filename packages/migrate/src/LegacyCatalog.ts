/**
 * What the legacy database's catalog says about its tables (`pg_catalog`): columns with their types and
 * nullability, unique keys, estimated row counts. `check` holds a mapping against it and returns every
 * problem with the mapping key it concerns.
 */
import { Effect } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { LegacyDatabase } from "./LegacyDatabase.ts"
import * as Mapping from "./Mapping.ts"

/** How a column's type is read. */
export type TypeClass =
  "text" | "json" | "jsonb" | "xml" | "bytea" | "integer" | "number" | "time" | "date" | "boolean" | "other"

export interface Column {
  readonly name: string
  /** `format_type`: `text`, `character varying(200)`, `timestamp with time zone`, ... */
  readonly type: string
  readonly typeClass: TypeClass
  readonly nullable: boolean
}

export interface Table {
  readonly schema: string
  readonly name: string
  readonly columns: ReadonlyArray<Column>
  /** Column lists of unique indexes without a predicate, the primary key first. */
  readonly uniqueKeys: ReadonlyArray<ReadonlyArray<string>>
  /** `pg_class.reltuples` (-1 before the first ANALYZE). */
  readonly estimatedRows: number
}

const classOf = (baseType: string, category: string): TypeClass => {
  switch (baseType) {
    case "json":
      return "json"
    case "jsonb":
      return "jsonb"
    case "xml":
      return "xml"
    case "bytea":
      return "bytea"
    case "int2":
    case "int4":
    case "int8":
      return "integer"
    case "float4":
    case "float8":
    case "numeric":
      return "number"
    case "timestamp":
    case "timestamptz":
      return "time"
    case "date":
      return "date"
    case "bool":
      return "boolean"
    case "uuid":
    case "inet":
    case "cidr":
      return "text"
  }
  // String category: text, varchar, bpchar, name, citext; enums read as their label.
  return category === "S" || category === "E" ? "text" : "other"
}

/** Tables (and their columns) of the non-system schemas, or of the given ones. */
export const tables = Effect.fn("LegacyCatalog.tables")(function* (
  only?: ReadonlyArray<{ readonly schema: string; readonly name: string }>
): Effect.fn.Return<ReadonlyArray<Table>, SqlError, LegacyDatabase> {
  const { sql } = yield* LegacyDatabase
  const columns = yield* sql.unsafe<{
    schema: string
    table: string
    name: string
    type: string
    base: string
    category: string
    nullable: boolean
    estimated: number
  }>(
    `select n.nspname as schema, c.relname as table, a.attname as name,
            format_type(a.atttypid, a.atttypmod) as type,
            coalesce(bt.typname, t.typname) as base,
            coalesce(bt.typcategory, t.typcategory)::text as category,
            not a.attnotnull as nullable, c.reltuples::float8 as estimated
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_type t on t.oid = a.atttypid
       left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
      where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
        and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      order by n.nspname, c.relname, a.attnum`
  )
  const keys = yield* sql.unsafe<{ schema: string; table: string; columns: ReadonlyArray<string>; primary: boolean }>(
    `select n.nspname as schema, c.relname as table, i.indisprimary as primary,
            array(select a.attname from unnest(i.indkey) with ordinality k(attnum, pos)
                    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                   order by k.pos) as columns
       from pg_index i
       join pg_class c on c.oid = i.indrelid
       join pg_namespace n on n.oid = c.relnamespace
      where i.indisunique and i.indpred is null and i.indexprs is null
        and n.nspname not in ('pg_catalog', 'information_schema')
      order by i.indisprimary desc`
  )
  const byTable = new Map<string, Table>()
  const id = (schema: string, table: string) => `${schema}.${table}`
  for (const c of columns) {
    const key = id(c.schema, c.table)
    let table = byTable.get(key)
    if (table === undefined) {
      table = { schema: c.schema, name: c.table, columns: [], uniqueKeys: [], estimatedRows: c.estimated }
      byTable.set(key, table)
    }
    ;(table.columns as Array<Column>).push({
      name: c.name,
      type: c.type,
      typeClass: classOf(c.base, c.category),
      nullable: c.nullable
    })
  }
  for (const k of keys)
    (byTable.get(id(k.schema, k.table))?.uniqueKeys as Array<ReadonlyArray<string>> | undefined)?.push(k.columns)
  const all = [...byTable.values()]
  return only === undefined ? all : all.filter((t) => only.some((o) => o.schema === t.schema && o.name === t.name))
})

const RAW: ReadonlySet<TypeClass> = new Set(["text", "json", "jsonb", "xml", "bytea"])
const TIME: ReadonlySet<TypeClass> = new Set(["time", "date"])

const fits = (use: Mapping.ColumnUse, column: Column): string | undefined => {
  switch (use) {
    case "raw":
      return RAW.has(column.typeClass)
        ? undefined
        : `a raw payload column must be text, json, jsonb, xml or bytea (${column.name} is ${column.type})`
    case "time":
      return TIME.has(column.typeClass)
        ? undefined
        : `expected a timestamp or date column (${column.name} is ${column.type})`
    case "time-or-text":
      return TIME.has(column.typeClass) || column.typeClass === "text"
        ? undefined
        : `expected a timestamp, date or text column (${column.name} is ${column.type})`
    case "key":
    case "scalar":
      return column.typeClass === "bytea" || column.typeClass === "other"
        ? `expected a column with a text form (${column.name} is ${column.type})`
        : undefined
    case "any":
      return undefined
  }
}

/** Every problem of the mapping against the catalog: missing tables or columns, wrong types, no unique key. */
export const check = (mapping: Mapping.Mapping, catalog: ReadonlyArray<Table>): ReadonlyArray<Mapping.Problem> => {
  const problems: Array<Mapping.Problem> = []
  for (const table of mapping.tables) {
    const found = catalog.find((t) => t.schema === table.schema && t.name === table.name)
    if (found === undefined) {
      problems.push({
        path: `tables.${table.index}.table`,
        message: `no table ${table.qualified} in the legacy database`
      })
      continue
    }
    for (const { path, column, use } of Mapping.columnsOf(table)) {
      const c = found.columns.find((x) => x.name === column)
      if (c === undefined) {
        problems.push({
          path,
          message: `no column ${column} in ${table.qualified} (it has ${found.columns.map((x) => x.name).join(", ")})`
        })
        continue
      }
      const wrong = fits(use, c)
      if (wrong !== undefined) problems.push({ path, message: wrong })
    }
    const keyColumns = table.key.map((k) => found.columns.find((c) => c.name === k))
    if (keyColumns.every((c) => c !== undefined)) {
      const unique = found.uniqueKeys.some(
        (u) => u.length === table.key.length && u.every((c) => table.key.includes(c))
      )
      const nullable = keyColumns.filter((c) => c!.nullable).map((c) => c!.name)
      if (!unique) {
        problems.push({
          path: `tables.${table.index}.key`,
          message: `(${table.key.join(", ")}) is not a unique key of ${table.qualified}: rows are read in key order and resumed after a key, so it must be a primary key or a unique index${found.uniqueKeys.length > 0 ? ` (unique keys: ${found.uniqueKeys.map((u) => `(${u.join(", ")})`).join(", ")})` : ""}`
        })
      } else if (nullable.length > 0) {
        problems.push({
          path: `tables.${table.index}.key`,
          message: `key column(s) ${nullable.join(", ")} may be NULL`
        })
      }
    }
  }
  return problems
}
