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
import { Context, Effect, Layer, type Redacted } from "effect"
import { BeginTransaction } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as Reactivity from "effect/reactivity/Reactivity"

export interface LegacyDatabaseOptions {
  readonly url: Redacted.Redacted<string>
  /** The largest row read in one message, in bytes (PostgreSQL's protocol carries a row in one message). */
  readonly maxRowBytes?: number | undefined
  /** The longest one statement may take (PostgreSQL's `statement_timeout`, e.g. "15min"). */
  readonly statementTimeout?: string | undefined
}

export const DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024
/** Generous: the one long statement is the search for duplicate ids, a scan of the id column. */
export const DEFAULT_STATEMENT_TIMEOUT = "30min"

export class LegacyDatabase extends Context.Service<
  LegacyDatabase,
  {
    readonly sql: PgClient.PgClient
    readonly maxRowBytes: number
  }
>()("@medallion/migrate/LegacyDatabase") {}

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
        statement_timeout: options.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT,
        ...(readOnly ? { default_transaction_read_only: "on" } : {})
      },
      // A row travels in one protocol message: leave room for the other columns and the framing.
      maxMessageSize: maxRowBytes + 1024 * 1024
    })
    return LegacyDatabase.of({ sql, maxRowBytes })
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
