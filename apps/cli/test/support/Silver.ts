/**
 * What the tests read back from silver, on the same database the daemons write. Every read is
 * plain SQL on the tables of `packages/silver/src/migrations/`.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, type Redacted, String as Str } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"

/** A small pool on `url`, closed with the scope. */
export const connect = (url: Redacted.Redacted<string>) =>
  PgClient.make({ url, transformResultNames: Str.snakeToCamel, maxConnections: 2 }).pipe(
    Effect.provide(Reactivity.layer)
  )

export interface ItemRow {
  readonly sourceType: string
  readonly externalId: string
  readonly title: string | null
  readonly fetchStatus: string
  readonly fetchError: string | null
  readonly transcriptionStatus: string
  readonly transcriptionError: string | null
  readonly transformStatus: string
  readonly transformError: string | null
}

/** Whether a failure is PostgreSQL's undefined_table (42P01), anywhere in its cause chain. */
const isUndefinedTable = (error: unknown): boolean => {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 8; depth++) {
    if ((cause as { code?: unknown }).code === "42P01") return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** A read that answers `empty` before the transform daemon's first migration created its table. */
export const beforeMigration = <A, E, R>(read: Effect.Effect<A, E, R>, empty: A) =>
  read.pipe(Effect.catchIf(isUndefinedTable, () => Effect.succeed(empty)))

/** Every item, or none yet when the transform daemon has not created the tables. */
export const items = (sql: PgClient.PgClient) =>
  beforeMigration(
    sql<ItemRow>`
      select source_type, external_id, title, fetch_status, fetch_error, transcription_status,
             transcription_error, transform_status, transform_error
      from items order by source_type, external_id`,
    [] as ReadonlyArray<ItemRow>
  )

/** Keys present more than once (the table's unique key makes it empty unless that key is lost). */
export const duplicateItems = (sql: PgClient.PgClient) =>
  sql<{ readonly sourceType: string; readonly externalId: string; readonly count: string }>`
    select source_type, external_id, count(*) from items group by 1, 2 having count(*) > 1`

/** Comment rows per item: all of them and distinct ids, by `source_type/external_id`. */
export const commentCounts = (sql: PgClient.PgClient) =>
  Effect.map(
    sql<{ readonly key: string; readonly rows: number; readonly ids: number }>`
      select i.source_type || '/' || i.external_id as key, count(*)::int as rows,
             count(distinct c.external_id)::int as ids
      from comments c join items i on i.id = c.item_id group by 1`,
    (rows) => new Map(rows.map((r) => [r.key, r]))
  )

/** The comment ids stored for one item. */
export const commentIds = (sql: PgClient.PgClient, sourceType: string, externalId: string) =>
  Effect.map(
    sql<{ readonly externalId: string }>`
      select c.external_id from comments c join items i on i.id = c.item_id
      where i.source_type = ${sourceType} and i.external_id = ${externalId} order by 1`,
    (rows) => rows.map((r) => r.externalId)
  )

/** The transcript segments stored for one item, in order. */
export const segments = (sql: PgClient.PgClient, sourceType: string, externalId: string) =>
  sql<{ readonly position: number; readonly startSeconds: number; readonly endSeconds: number; readonly text: string }>`
    select s.position, s.start_seconds, s.end_seconds, s.text
    from transcript_segments s join items i on i.id = s.item_id
    where i.source_type = ${sourceType} and i.external_id = ${externalId} order by s.position`

/** Rows of any child table that share a key (none, unless a primary key is lost). */
export const duplicateChildRows = (sql: PgClient.PgClient) =>
  sql<{ readonly table: string; readonly count: number }>`
    select 'transcript_segments' as table, count(*)::int as count from (
      select item_id, position from transcript_segments group by 1, 2 having count(*) > 1) s
    union all
    select 'comments', count(*)::int from (
      select item_id, external_id from comments group by 1, 2 having count(*) > 1) c
    union all
    select 'media', count(*)::int from (
      select item_id, position from media group by 1, 2 having count(*) > 1) m
    union all
    select 'item_artifacts', count(*)::int from (
      select item_id, artifact_type, ext from item_artifacts group by 1, 2, 3 having count(*) > 1) a`
