/**
 * Where silver lives: `DATABASE_URL` when it is set (nothing is started), else
 * the embedded default: a real PostgreSQL under `<data dir>/postgres`, started
 * on first use, reused across restarts, stopped when the process that started
 * it exits. A second `medallion` command next to a running daemon attaches to
 * that daemon's server instead of starting another.
 */
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { PgClient } from "@effect/sql-pg"
import * as Path from "node:path"
import { Config, Effect, Option, Redacted } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"

export const EMBEDDED_DATABASE = "medallion"

export interface DatabaseTarget {
  readonly url: Redacted.Redacted<string>
  /** "external" (DATABASE_URL) or "embedded" (started or attached under the data dir). */
  readonly kind: "external" | "embedded"
}

const ensureDatabase = (adminUrl: Redacted.Redacted<string>, name: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* PgClient.makeClient({ url: adminUrl })
      // Only whether a row comes back matters: none of its values is read.
      const rows = yield* sql`select 1 as one from pg_database where datname = ${name}`
      if (rows.length === 0) yield* sql.unsafe(`create database "${name}"`)
    })
  ).pipe(Effect.provide(Reactivity.layer))

/** Resolves the database URL, starting the embedded server when needed (scoped). */
export const target = Effect.fn("Database.target")(function* (dataDir: string) {
  const external = yield* Config.option(Config.Redacted("DATABASE_URL"))
  if (Option.isSome(external)) return { url: external.value, kind: "external" } satisfies DatabaseTarget
  const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(dataDir, "postgres"), attach: true })
  yield* Effect.logInfo(
    server.owned
      ? `embedded PostgreSQL started on 127.0.0.1:${server.port} (data in ${server.dataDir})`
      : `using the embedded PostgreSQL of a running daemon on 127.0.0.1:${server.port}`
  )
  yield* ensureDatabase(server.adminUrl, EMBEDDED_DATABASE)
  return { url: server.urlFor(EMBEDDED_DATABASE), kind: "embedded" } satisfies DatabaseTarget
})
