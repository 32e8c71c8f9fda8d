/**
 * The typed errors of silver's services. A `SqlError` from the driver never
 * leaves the package: it becomes `DatabaseUnavailable` (the server cannot be
 * reached or refuses the credentials; the caller can wait and retry) or
 * `DatabaseError` (a statement failed).
 */
import { Cause, Effect, Schema } from "effect"
import { SqlError, UnknownError } from "effect/sql/SqlError"

export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>()("DatabaseUnavailable", {
  /** `unreachable`: no connection (refused, timed out, dropped); `authentication`: credentials refused. */
  reason: Schema.Literals(["unreachable", "authentication"]),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  /** The repository operation that failed, e.g. `ItemRepo.upsert`. */
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export class MigrationFailed extends Schema.TaggedError<MigrationFailed>()("MigrationFailed", {
  message: Schema.String,
  /** The migration (`0001_items`) that failed, when one did. */
  migration: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}

/** The driver's message, and PostgreSQL's own words when the driver's leaves them out. */
const detailOf = (error: SqlError): string => {
  const server = serverMessage(error)
  return server === undefined || error.message.includes(server) ? error.message : `${error.message}: ${server}`
}

/**
 * Silver's errors for one failed SQL operation. The message carries PostgreSQL's own words: a
 * `SqlError`'s message is only the driver's ("PgConnection: Query failed"), the reason is in its causes.
 */
export const fromSqlError =
  (operation: string) =>
  (error: SqlError): DatabaseUnavailable | DatabaseError => {
    switch (error.reason._tag) {
      case "ConnectionError":
        return new DatabaseUnavailable({
          reason: "unreachable",
          message: `${operation}: the database server cannot be reached (${detailOf(error)})`,
          cause: error
        })
      case "AuthenticationError":
        return new DatabaseUnavailable({
          reason: "authentication",
          message: `${operation}: the database server refused the credentials (${detailOf(error)})`,
          cause: error
        })
      default:
        // The server answered, but about its own state (starting up, shutting down, crashed: 57P01-57P03;
        // a connection exception: class 08): the same statement succeeds once it is back, so the caller waits.
        return serverUnavailable(sqlState(error))
          ? new DatabaseUnavailable({
              reason: "unreachable",
              message: `${operation}: the database server is not accepting connections (${detailOf(error)})`,
              cause: error
            })
          : new DatabaseError({ operation, message: `${operation}: ${detailOf(error)}`, cause: error })
    }
  }

const serverUnavailable = (state: string | undefined): boolean =>
  state !== undefined && (/^57P0[123]$/.test(state) || state.startsWith("08"))

/** Maps the `SqlError` of an effect to silver's errors. */
export const mapSqlError =
  (operation: string) =>
  <A, E, R>(
    effect: Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R> =>
    Effect.catchTag(effect as Effect.Effect<A, SqlError, R>, "SqlError", (error) =>
      Effect.fail(fromSqlError(operation)(error))
    ) as Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R>

/** How rows read back with `SqlSchema` can fail to be what the query promises. */
export type Unread = Schema.SchemaError | Cause.NoSuchElementError

const isUnread = (error: unknown): error is Unread => Schema.isSchemaError(error) || Cause.isNoSuchElementError(error)

const unreadMessage = (operation: string, query: string | undefined, error: Unread): string =>
  `${operation}${query === undefined ? "" : ` (${query})`}: ` +
  (Schema.isSchemaError(error) ? `a row read back does not decode: ${error.message}` : "no row came back")

/**
 * A row that does not decode (or no row where the query always returns one) is the database's fault, not
 * the caller's: a `DatabaseError` naming the operation, the query when the operation runs several, and the
 * column.
 */
export const undecodable =
  (operation: string, query?: string) =>
  <A, E, R>(effect: Effect.Effect<A, E | Unread, R>): Effect.Effect<A, Exclude<E, Unread> | DatabaseError, R> =>
    Effect.catchIf(effect as Effect.Effect<A, Unread, R>, isUnread, (error) =>
      Effect.fail(new DatabaseError({ operation, message: unreadMessage(operation, query, error), cause: error }))
    ) as Effect.Effect<A, Exclude<E, Unread> | DatabaseError, R>

/** `undecodable` for modules whose error channel is the driver's `SqlError`: an `UnknownError` reason. */
export const undecodableAsSqlError =
  (operation: string, query?: string) =>
  <A, E, R>(effect: Effect.Effect<A, E | Unread, R>): Effect.Effect<A, Exclude<E, Unread> | SqlError, R> =>
    Effect.catchIf(effect as Effect.Effect<A, Unread, R>, isUnread, (error) =>
      Effect.fail(
        new SqlError({
          reason: new UnknownError({ operation, message: unreadMessage(operation, query, error), cause: error })
        })
      )
    ) as Effect.Effect<A, Exclude<E, Unread> | SqlError, R>

/** What any repository operation can fail with, besides its own domain errors. */
export type RepoError = DatabaseUnavailable | DatabaseError

/** PostgreSQL's own error along an error's causes: the one that carries a SQLSTATE. */
const serverError = (error: unknown): { readonly code: string; readonly message?: unknown } | undefined => {
  let current = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return current as { readonly code: string }
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

/** The SQLSTATE PostgreSQL answered with (`22P05`, `54000`), found along an error's causes. */
export const sqlState = (error: unknown): string | undefined => serverError(error)?.code

/** PostgreSQL's own words for an error (`string is too long for tsvector (...)`), when it gave any. */
export const serverMessage = (error: unknown): string | undefined => {
  const message = serverError(error)?.message
  return typeof message === "string" && message !== "" ? message : undefined
}

/**
 * Whether PostgreSQL refused a statement for the data it was given (data exceptions, integrity
 * constraints, limits such as a tsvector over 1 MB), not for the state of the server or the connection:
 * the same data would be refused again, so its item must be set aside, not retried.
 */
export const refusedForData = (error: DatabaseError): boolean => /^(22|23|54)/.test(sqlState(error.cause) ?? "")
