/**
 * Runs the project's migrations: versioned, forward-only, and safe to run
 * twice or from several processes at once.
 *
 * Every run is one transaction that first takes a transaction-scoped advisory
 * lock derived from the migrations table's name; a second process waits on
 * that lock, then finds the migrations recorded and applies nothing. A
 * migration is applied when its id is not recorded yet, whatever the highest
 * recorded id is, so a migration merged out of order is still applied rather
 * than silently skipped. Ids recorded by a newer release are left alone
 * (logged), so an older process keeps running against a newer schema.
 *
 * Users migrate their own gold tables with `run({ table, migrations })` on a
 * table of their own.
 */
import { Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { migrations as silverMigrations, type Migration } from "./migrations/index.ts"
import { DatabaseError, DatabaseUnavailable, fromSqlError, MigrationFailed } from "./SilverError.ts"

export const DEFAULT_TABLE = "medallion_migrations"

/** First key of the advisory lock; the second is `hashtext(table)`. */
const LOCK_NAMESPACE = 1835363436

export interface MigrateOptions {
  /** The migrations, keyed `<number>_<name>`. Default: the project's sequence. */
  readonly migrations?: Readonly<Record<string, Migration>> | undefined
  /** The table that records applied migrations. Default `medallion_migrations`. */
  readonly table?: string | undefined
}

export interface AppliedMigration {
  readonly id: number
  readonly name: string
}

interface Resolved extends AppliedMigration {
  readonly effect: Migration
}

const resolve = (
  migrations: Readonly<Record<string, Migration>>
): Effect.Effect<ReadonlyArray<Resolved>, MigrationFailed> =>
  Effect.gen(function* () {
    const resolved: Array<Resolved> = []
    for (const [key, effect] of Object.entries(migrations)) {
      const match = /^(\d+)_([a-z0-9_]+)$/.exec(key)
      if (match === null) {
        return yield* new MigrationFailed({ message: `migration key "${key}" is not <number>_<snake_case_name>` })
      }
      resolved.push({ id: Number(match[1]), name: match[2]!, effect })
    }
    resolved.sort((a, b) => a.id - b.id)
    for (let i = 1; i < resolved.length; i++) {
      if (resolved[i]!.id === resolved[i - 1]!.id) {
        return yield* new MigrationFailed({ message: `two migrations share the id ${resolved[i]!.id}` })
      }
    }
    return resolved
  })

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** A row of the migrations table (`id integer`, `name text`). */
const RecordedRow = Schema.Struct({ id: Schema.Int, name: Schema.String })

/** Applies the pending migrations; returns those it applied, in order. */
export const run = Effect.fn("SilverMigrator.run")(function* (
  options: MigrateOptions = {}
): Effect.fn.Return<ReadonlyArray<AppliedMigration>, MigrationFailed | DatabaseUnavailable | DatabaseError, SqlClient> {
  const table = options.table ?? DEFAULT_TABLE
  if (!TABLE_NAME.test(table)) {
    return yield* new MigrationFailed({
      message: `migrations table name "${table}" is not a plain lowercase identifier`
    })
  }
  const known = yield* resolve(options.migrations ?? silverMigrations)
  const sql = yield* SqlClient

  const migrate = Effect.gen(function* () {
    yield* sql`select pg_advisory_xact_lock(${sql.literal(String(LOCK_NAMESPACE))}, hashtext(${table}))`
    yield* sql.unsafe(`create table if not exists ${table} (
      id integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`)
    const rows = yield* SqlSchema.findAll({
      Request: Schema.Void,
      Result: RecordedRow,
      execute: () => sql`select id, name from ${sql(table)} order by id`
    })(undefined).pipe(
      Effect.catchIf(Schema.isSchemaError, (error) =>
        Effect.fail(
          new MigrationFailed({
            message: `the migrations table ${table} holds a row that does not decode: ${error.message}`,
            cause: error
          })
        )
      )
    )
    const recorded = new Map(rows.map((row) => [row.id, row.name]))
    for (const migration of known) {
      const name = recorded.get(migration.id)
      if (name !== undefined && name !== migration.name) {
        return yield* new MigrationFailed({
          message: `migration ${migration.id} is recorded as "${name}" but this program calls it "${migration.name}"`,
          migration: `${migration.id}_${migration.name}`
        })
      }
    }
    const knownIds = new Set(known.map((m) => m.id))
    const unknown = rows.filter((row) => !knownIds.has(row.id))
    if (unknown.length > 0) {
      yield* Effect.logWarning("the database has migrations this program does not know (a newer release?)").pipe(
        Effect.annotateLogs({ migrations: unknown.map((row) => `${row.id}_${row.name}`).join(", "), table })
      )
    }
    const pending = known.filter((m) => !recorded.has(m.id))
    for (const migration of pending) {
      const label = `${String(migration.id).padStart(4, "0")}_${migration.name}`
      yield* migration.effect.pipe(
        Effect.mapError(
          (cause) =>
            new MigrationFailed({
              message: `migration ${label} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
              migration: label,
              cause
            })
        ),
        Effect.withSpan(`SilverMigrator ${label}`)
      )
      yield* sql`insert into ${sql(table)} (id, name) values (${migration.id}, ${migration.name})`
      yield* Effect.logInfo("applied migration").pipe(Effect.annotateLogs({ migration: label, table }))
    }
    return pending.map(({ id, name }): AppliedMigration => ({ id, name }))
  })

  return yield* sql.withTransaction(migrate).pipe(
    Effect.catchTag("SqlError", (error: SqlError) => {
      const mapped = fromSqlError("SilverMigrator.run")(error)
      return Effect.fail(
        mapped._tag === "DatabaseUnavailable" ? mapped : new MigrationFailed({ message: mapped.message, cause: error })
      )
    })
  )
})

/** Runs the project's migrations when the layer is built. */
export const layer: Layer.Layer<never, MigrationFailed | DatabaseUnavailable | DatabaseError, SqlClient> =
  Layer.effectDiscard(run())
