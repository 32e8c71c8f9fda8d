/**
 * The connection to silver's PostgreSQL: a pool from `DATABASE_URL` or the
 * discrete `PG*` settings, TLS (`sslmode`, a CA file), typed errors for an
 * unreachable server or refused credentials, and retries with backoff so that
 * work resumes by itself when the server comes back.
 *
 * The pool replaces a dead connection on its next checkout; `resilient` waits
 * (exponential backoff, capped) while the server cannot be reached, up to
 * `retryFor`, then fails with `DatabaseUnavailable`. Refused credentials are
 * not retried: waiting does not fix them.
 */
import { PgClient } from "@effect/sql-pg"
import * as Fs from "node:fs"
import type { ConnectionOptions } from "node:tls"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schedule, String as Str } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { DatabaseError, DatabaseUnavailable, fromSqlError } from "./SilverError.ts"

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full"

export interface SilverDatabaseOptions {
  /** `postgres://user:password@host:port/database?sslmode=...`. Wins over the discrete settings. */
  readonly url?: Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Overrides the URL's `sslmode`. libpq's meaning: `require` encrypts without checking the certificate. */
  readonly sslMode?: SslMode | undefined
  /** PEM file of the CA that signed the server's certificate (`verify-ca`, `verify-full`). */
  readonly sslRootCert?: string | undefined
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number | undefined
  /** Time to open one connection. Default 5 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** How long an operation keeps retrying while the server is unreachable. Default 30 seconds. */
  readonly retryFor?: Duration.Input | undefined
  readonly applicationName?: string | undefined
}

export interface SilverDatabaseShape {
  readonly client: PgClient.PgClient
  /** Where it connects, without the password (for logs and status output). */
  readonly target: string
  /**
   * Runs a database operation: maps `SqlError` to silver's errors, and while
   * the server is unreachable retries the whole operation with backoff. Use it
   * around idempotent operations (a transaction is retried from its start).
   */
  readonly resilient: <A, E, R>(
    operation: string,
    effect: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R>
  /** Checks that the server answers. */
  readonly ping: Effect.Effect<void, DatabaseUnavailable | DatabaseError>
}

/** The URL without its password, e.g. `postgres://medallion@db.internal:5432/medallion`. */
export const describeUrl = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    parsed.password = ""
    for (const key of [...parsed.searchParams.keys()]) {
      if (key.toLowerCase().includes("password")) parsed.searchParams.delete(key)
    }
    return parsed.toString()
  } catch {
    return "<a DATABASE_URL that is not a URL>"
  }
}

const sslModeOfUrl = (url: Redacted.Redacted<string> | undefined): SslMode | undefined => {
  if (url === undefined) return undefined
  try {
    const mode = new URL(Redacted.value(url)).searchParams.get("sslmode")
    return mode === null ? undefined : (mode as SslMode)
  } catch {
    return undefined
  }
}

/**
 * The URL for components that connect with node-postgres (the run queue), carrying the TLS settings
 * silver uses: `PGSSLMODE` (else the URL's `sslmode`) with libpq's meaning (`require` encrypts without
 * checking the certificate; node-postgres alone would check it) and `PGSSLROOTCERT` as the CA file.
 */
export const nodePostgresUrl = (
  url: Redacted.Redacted<string>,
  env: { readonly sslMode?: string | undefined; readonly sslRootCert?: string | undefined }
): Redacted.Redacted<string> => {
  let parsed: URL
  try {
    parsed = new URL(Redacted.value(url))
  } catch {
    return url
  }
  const mode = env.sslMode ?? parsed.searchParams.get("sslmode") ?? undefined
  if (env.sslRootCert !== undefined && !parsed.searchParams.has("sslrootcert")) {
    parsed.searchParams.set("sslrootcert", env.sslRootCert)
  }
  if (mode !== undefined) {
    parsed.searchParams.set("sslmode", mode)
    parsed.searchParams.set("uselibpqcompat", "true")
  }
  return Redacted.make(parsed.toString())
}

/** `nodePostgresUrl` with the `PGSSLMODE` and `PGSSLROOTCERT` of the environment, for an external database. */
export const nodePostgresUrlFromEnv = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const sslMode = yield* Config.option(Config.String("PGSSLMODE"))
    const sslRootCert = yield* Config.option(Config.String("PGSSLROOTCERT"))
    return nodePostgresUrl(url, {
      sslMode: Option.getOrUndefined(sslMode),
      sslRootCert: Option.getOrUndefined(sslRootCert)
    })
  })

/** TLS settings in libpq's terms; undefined leaves the URL's `sslmode` to the driver. */
export const tlsOptions = (
  options: Pick<SilverDatabaseOptions, "url" | "sslMode" | "sslRootCert">
): Effect.Effect<boolean | ConnectionOptions | undefined, DatabaseUnavailable> =>
  Effect.try({
    try: () => {
      const mode = options.sslMode ?? sslModeOfUrl(options.url)
      const ca = options.sslRootCert === undefined ? undefined : Fs.readFileSync(options.sslRootCert)
      switch (mode) {
        case undefined:
          return ca === undefined ? undefined : { ca, rejectUnauthorized: true }
        case "disable":
          return false
        case "prefer":
          // The driver's own `prefer`: TLS when the server offers it, as the URL says.
          return undefined
        case "require":
          return ca === undefined ? { rejectUnauthorized: false } : { ca, rejectUnauthorized: true }
        case "verify-ca":
          return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, checkServerIdentity: () => undefined }
        case "verify-full":
          return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true }
        default:
          throw new Error(`unknown sslmode "${String(mode)}" (disable, prefer, require, verify-ca, verify-full)`)
      }
    },
    catch: (cause) =>
      new DatabaseUnavailable({
        reason: "unreachable",
        message: `invalid TLS settings: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

const retrySchedule = (retryFor: Duration.Input) =>
  Schedule.min([Schedule.exponential("100 millis", 2), Schedule.spaced("5 seconds")]).pipe(
    Schedule.upTo({ duration: retryFor })
  )

const makeShape = (client: PgClient.PgClient, target: string, retryFor: Duration.Input): SilverDatabaseShape => {
  const schedule = retrySchedule(retryFor)
  const resilient = <A, E, R>(operation: string, effect: Effect.Effect<A, E | SqlError, R>) =>
    Effect.catchTag(effect as Effect.Effect<A, SqlError, R>, "SqlError", (error) =>
      Effect.fail(fromSqlError(operation)(error))
    ).pipe(
      Effect.tapError((error) =>
        error._tag === "DatabaseUnavailable" && error.reason === "unreachable"
          ? Effect.logWarning("database unreachable, retrying").pipe(Effect.annotateLogs({ operation, target }))
          : Effect.void
      ),
      Effect.retry({
        schedule,
        while: (error) => error._tag === "DatabaseUnavailable" && error.reason === "unreachable"
      })
    ) as Effect.Effect<A, Exclude<E, SqlError> | DatabaseUnavailable | DatabaseError, R>
  return {
    client,
    target,
    resilient,
    ping: resilient("SilverDatabase.ping", Effect.asVoid(client`select 1`))
  }
}

export class SilverDatabase extends Context.Service<SilverDatabase, SilverDatabaseShape>()(
  "@medallion/silver/SilverDatabase"
) {
  /** A pool with the given settings; provides `SilverDatabase`, `PgClient` and `SqlClient`. */
  static readonly layerWith = (
    options: SilverDatabaseOptions
  ): Layer.Layer<SilverDatabase | PgClient.PgClient | SqlClient, DatabaseUnavailable> =>
    Layer.unwrap(
      Effect.gen(function* () {
        const ssl = yield* tlsOptions(options)
        const target =
          options.url !== undefined
            ? describeUrl(options.url)
            : `postgres://${options.username ?? "postgres"}@${options.host ?? "localhost"}:${options.port ?? 5432}/${options.database ?? ""}`
        const pool = PgClient.layerFrom(
          PgClient.make({
            url: options.url,
            host: options.host,
            port: options.port,
            database: options.database,
            username: options.username,
            password: options.password,
            ssl,
            maxConnections: options.poolSize ?? 10,
            connectTimeout: options.connectTimeout ?? Duration.seconds(5),
            applicationName: options.applicationName ?? "medallion",
            transformResultNames: Str.snakeToCamel
          }).pipe(Effect.mapError(fromSqlErrorAtStart(target)))
        )
        const service = Layer.effect(
          SilverDatabase,
          Effect.gen(function* () {
            return makeShape(yield* PgClient.PgClient, target, options.retryFor ?? Duration.seconds(30))
          })
        )
        yield* Effect.logDebug("silver database").pipe(Effect.annotateLogs({ target }))
        return Layer.provideMerge(service, pool)
      })
    )

  /**
   * From the environment: `DATABASE_URL`, or `PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGPASSWORD`; `PGSSLMODE`, `PGSSLROOTCERT`;
   * `MEDALLION_DB_POOL_SIZE` (default 10), `MEDALLION_DB_RETRY_FOR` (default 30 seconds).
   */
  static readonly layer: Layer.Layer<
    SilverDatabase | PgClient.PgClient | SqlClient,
    DatabaseUnavailable | Config.ConfigError
  > = Layer.unwrap(
    Effect.gen(function* () {
      const url = yield* Config.option(Config.Redacted("DATABASE_URL"))
      const host = yield* Config.option(Config.String("PGHOST"))
      const port = yield* Config.option(Config.Port("PGPORT"))
      const database = yield* Config.option(Config.String("PGDATABASE"))
      const username = yield* Config.option(Config.String("PGUSER"))
      const password = yield* Config.option(Config.Redacted("PGPASSWORD"))
      const sslMode = yield* Config.option(
        Config.Literals(["disable", "prefer", "require", "verify-ca", "verify-full"], "PGSSLMODE")
      )
      const sslRootCert = yield* Config.option(Config.String("PGSSLROOTCERT"))
      const poolSize = yield* Config.Int("MEDALLION_DB_POOL_SIZE").pipe(Config.withDefault(10))
      const retryFor = yield* Config.Duration("MEDALLION_DB_RETRY_FOR").pipe(Config.withDefault(Duration.seconds(30)))
      return SilverDatabase.layerWith({
        url: Option.getOrUndefined(url),
        host: Option.getOrUndefined(host),
        port: Option.getOrUndefined(port),
        database: Option.getOrUndefined(database),
        username: Option.getOrUndefined(username),
        password: Option.getOrUndefined(password),
        sslMode: Option.getOrUndefined(sslMode),
        sslRootCert: Option.getOrUndefined(sslRootCert),
        poolSize,
        retryFor
      })
    })
  )

  /** On a `PgClient` that is already provided (e.g. `TestDatabase.layer`). */
  static readonly layerFromClient = (options?: {
    readonly retryFor?: Duration.Input | undefined
  }): Layer.Layer<SilverDatabase, never, PgClient.PgClient> =>
    Layer.effect(
      SilverDatabase,
      Effect.gen(function* () {
        return makeShape(yield* PgClient.PgClient, "the provided PgClient", options?.retryFor ?? Duration.seconds(30))
      })
    )
}

const fromSqlErrorAtStart =
  (target: string) =>
  (error: SqlError): DatabaseUnavailable => {
    const mapped = fromSqlError(`connecting to ${target}`)(error)
    return mapped._tag === "DatabaseUnavailable"
      ? mapped
      : new DatabaseUnavailable({ reason: "unreachable", message: mapped.message, cause: error })
  }
