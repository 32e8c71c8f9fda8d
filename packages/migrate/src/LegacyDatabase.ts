/**
 * The legacy database, read-only. Every session starts with `default_transaction_read_only = on`, and
 * the rows are read inside `READ ONLY` transactions, so no statement of the migration can write it: the
 * server refuses (`cannot execute ... in a read-only transaction`). Only `finalize --apply` opens a
 * writable session, by its own layer.
 *
 * A service of its own rather than `SqlClient`: a command that also reads silver (verify) has both
 * databases in one context.
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { BeginTransaction } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as Reactivity from "effect/reactivity/Reactivity"

export interface LegacyDatabaseOptions {
  readonly url: Redacted.Redacted<string>
  /** The largest row read in one message, in bytes (PostgreSQL's protocol carries a row in one message). */
  readonly maxRowBytes?: number | undefined
}

export const DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024

export class LegacyDatabase extends Context.Service<
  LegacyDatabase,
  {
    readonly sql: PgClient.PgClient
    /** What the session says it is (for reports): `user@host:port/database`. */
    readonly describe: string
    readonly maxRowBytes: number
  }
>()("@medallion/migrate/LegacyDatabase") {}

const describeUrl = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${decodeURIComponent(parsed.username) || "(default user)"}@${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
  } catch {
    return "(the legacy database)"
  }
}

const client = (options: LegacyDatabaseOptions, readOnly: boolean) =>
  Effect.gen(function* () {
    const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES
    const sql = yield* PgClient.make({
      url: options.url,
      maxConnections: 2,
      applicationName: readOnly ? "medallion-migrate-legacy" : "medallion-migrate-legacy-finalize",
      // UTC and ISO dates: the text of a key or a time reads the same in every session (resuming too).
      startupParameters: {
        timezone: "UTC",
        datestyle: "ISO, YMD",
        standard_conforming_strings: "on",
        ...(readOnly ? { default_transaction_read_only: "on" } : {})
      },
      // A row travels in one protocol message: leave room for the other columns and the framing.
      maxMessageSize: maxRowBytes + 1024 * 1024
    })
    return LegacyDatabase.of({ sql, describe: describeUrl(options.url), maxRowBytes })
  })

/** A read-only session on the legacy database. */
export const layer = (options: LegacyDatabaseOptions): Layer.Layer<LegacyDatabase, SqlError> =>
  Layer.effect(LegacyDatabase, client(options, true)).pipe(Layer.provide(Reactivity.layer))

/** A writable session: `finalize --apply` only, after a clean verify and a confirmation. */
export const layerWritable = (options: LegacyDatabaseOptions): Layer.Layer<LegacyDatabase, SqlError> =>
  Layer.effect(LegacyDatabase, client(options, false)).pipe(Layer.provide(Reactivity.layer))

/**
 * Runs `effect` in one `REPEATABLE READ READ ONLY` transaction: every query of it (a server-side
 * cursor and the fetches beside it) sees one snapshot of the legacy data.
 */
export const snapshot = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  LegacyDatabase.use(({ sql }) =>
    sql
      .withTransaction(effect)
      .pipe(Effect.provideService(BeginTransaction, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
  )
