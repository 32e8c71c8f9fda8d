/**
 * A fresh PostgreSQL database for each test file (or each `layer(...)` block).
 *
 * The server comes from `MEDALLION_TEST_DATABASE_URL`: a URL to a maintenance
 * database (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) of a server
 * that lets us create databases. Medallion's own test run sets it to the
 * embedded server its global setup starts, unless the variable is already set,
 * in which case that server is used. Each layer creates a database with a
 * random name and drops it (with `FORCE`) when the layer is released.
 */
import { PgClient } from "@effect/sql-pg"
import * as Crypto from "node:crypto"
import { Config, Effect, Layer, Redacted, String as Str } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import * as Reactivity from "effect/reactivity/Reactivity"

export const ADMIN_URL_VARIABLE = "MEDALLION_TEST_DATABASE_URL"

/** The same server URL pointing at another database. */
export const withDatabase = (url: Redacted.Redacted<string>, database: string): Redacted.Redacted<string> => {
  const parsed = new URL(Redacted.value(url))
  parsed.pathname = `/${encodeURIComponent(database)}`
  return Redacted.make(parsed.toString())
}

const onAdmin = <A>(
  adminUrl: Redacted.Redacted<string>,
  statement: (sql: PgClient.PgClient) => Effect.Effect<A, SqlError>
) =>
  Effect.scoped(Effect.flatMap(PgClient.makeClient({ url: adminUrl }), statement)).pipe(
    Effect.provide(Reactivity.layer)
  )

export interface DatabaseOptions {
  /**
   * `"C"`: a database with the libc `C` locale (`LC_CTYPE` and `LC_COLLATE`), as clusters initialised
   * with `--locale=C` have; by default the server's own locale.
   */
  readonly locale?: "C" | undefined
}

/** Creates a database on the test server and drops it when the scope closes. */
export const makeDatabase = Effect.fn("TestDatabase.makeDatabase")(function* (
  prefix = "medallion_test",
  options: DatabaseOptions = {}
) {
  const adminUrl = yield* Config.Redacted(ADMIN_URL_VARIABLE)
  const name = `${prefix}_${Crypto.randomBytes(6).toString("hex")}`
  const locale =
    options.locale === "C" ? ` TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'` : ""
  yield* onAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE "${name}"${locale}`))
  yield* Effect.addFinalizer(() =>
    onAdmin(adminUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).pipe(Effect.ignore)
  )
  return { name, url: withDatabase(adminUrl, name) }
})

/** `PgClient` + `SqlClient` on a fresh database (with `options`), snake_case columns read as camelCase. */
export const layerWith = (
  options: DatabaseOptions
): Layer.Layer<PgClient.PgClient | import("effect/sql/SqlClient").SqlClient, SqlError | Config.ConfigError> =>
  PgClient.layerFrom(
    Effect.gen(function* () {
      const database = yield* makeDatabase("medallion_test", options)
      return yield* PgClient.make({
        url: database.url,
        transformResultNames: Str.snakeToCamel,
        maxConnections: 4
      })
    })
  )

/** `PgClient` + `SqlClient` on a fresh database, with snake_case columns read as camelCase. */
export const layer: Layer.Layer<
  PgClient.PgClient | import("effect/sql/SqlClient").SqlClient,
  SqlError | Config.ConfigError
> = layerWith({})
