/**
 * The typed errors of silver's services. A `SqlError` from the driver never
 * leaves the package: it becomes `DatabaseUnavailable` (the server cannot be
 * reached or refuses the credentials; the caller can wait and retry) or
 * `DatabaseError` (a statement failed).
 */
import { causeChain } from "@medallion/bronze"
import { Effect, Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"

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
          message: `${operation}: the database server cannot be reached (${causeChain(error)})`,
          cause: error
        })
      case "AuthenticationError":
        return new DatabaseUnavailable({
          reason: "authentication",
          message: `${operation}: the database server refused the credentials (${causeChain(error)})`,
          cause: error
        })
      default:
        return new DatabaseError({ operation, message: `${operation}: ${causeChain(error)}`, cause: error })
    }
  }

/** Maps the `SqlError` of an effect to silver's errors. */
export const mapSqlError =
  (operation: string) =>
  <A, E, R>(
    effect: Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R> =>
    Effect.catchTag(effect as Effect.Effect<A, SqlError, R>, "SqlError", (error) =>
      Effect.fail(fromSqlError(operation)(error))
    ) as Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R>

/** What any repository operation can fail with, besides its own domain errors. */
export type RepoError = DatabaseUnavailable | DatabaseError
