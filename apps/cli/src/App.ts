/**
 * What every command resolves first: the shared flags, the validated
 * configuration, and the layers built from them (database, bronze, logging).
 */
import { FileSystemBronze } from "@medallion/bronze"
import { nodePostgresUrlFromEnv, SilverDatabase } from "@medallion/silver"
import { SourcePlugins } from "@medallion/workers/plugins"
import * as Path from "node:path"
import { Context, Effect, Layer, Metric, Option, type Redacted } from "effect"
import * as Database from "./Database.ts"
import * as Installation from "./Installation.ts"

import { Logging, MedallionConfig } from "@medallion/workers/config"
import { root } from "./Root.ts"

export interface App {
  readonly dataDir: string
  readonly config: MedallionConfig.MedallionConfig
  /** The source plug-ins the configuration was decoded with (default: the built-in ones). */
  readonly plugins?: SourcePlugins.Registry | undefined
  readonly bronzeRoot: string
  readonly logFormat: Logging.LogFormat
}

export const resolve = Effect.gen(function* () {
  const flags = yield* root
  const { config, plugins } = yield* MedallionConfig.load(Option.getOrUndefined(flags.config))
  // An operator command reads the installation it found (`Installation.required`).
  const dataDir = (yield* Installation.LocatedDataDir) ?? Path.resolve(flags.dataDir)
  return {
    dataDir,
    config,
    plugins,
    bronzeRoot: Path.resolve(config.bronze.root ?? Path.join(dataDir, "bronze")),
    logFormat: flags.logFormat
  } satisfies App
})

/** The source plug-ins of the app's configuration. */
export const plugins = (app: App): SourcePlugins.Registry => app.plugins ?? SourcePlugins.builtIn

/** The URL of silver's database, for components with their own connections (the run queue). */
export class DatabaseUrl extends Context.Service<DatabaseUrl, Redacted.Redacted<string>>()(
  "@medallion/cli/DatabaseUrl"
) {}

/**
 * `SilverDatabase` (+ `PgClient`, `SqlClient`, `DatabaseUrl`): `DATABASE_URL`
 * when set (with the `PG*` settings it leaves out, and TLS), else the embedded
 * server under the data dir.
 */
export const database = (app: App) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const target = yield* Database.target(app.dataDir)
      const silver =
        target.kind === "external"
          ? SilverDatabase.layer
          : SilverDatabase.layerWith({ url: target.url, poolSize: app.config.database.poolSize })
      const url = target.kind === "external" ? yield* nodePostgresUrlFromEnv(target.url) : target.url
      return Layer.merge(silver, Layer.succeed(DatabaseUrl, url))
    })
  )

/** The S3 store, imported only where the configuration chooses it (the AWS SDK is large to load). */
const s3 = Effect.promise(() => import("@medallion/bronze/s3"))

/** Bronze with both capabilities (the fetch side): the local folder, or the bucket. */
export const bronze = (app: App) =>
  app.config.bronze.store === "s3"
    ? Layer.unwrap(
        Effect.zipWith(MedallionConfig.s3Options(app.config), s3, (options, { S3Bronze }) =>
          S3Bronze.layerWith(options)
        )
      )
    : FileSystemBronze.layerWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery })

/** Bronze for the transform side: the reader only, so nothing there can write bronze. */
export const bronzeReader = (app: App) =>
  app.config.bronze.store === "s3"
    ? Layer.unwrap(
        Effect.zipWith(MedallionConfig.s3Options(app.config), s3, (options, { S3Bronze }) =>
          S3Bronze.layerReaderWith(options)
        )
      )
    : FileSystemBronze.layerReaderWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery })

export const logging = (app: App) => Logging.layer(app.logFormat)

/**
 * Runs a command body with the app resolved and logging configured. One metric
 * registry for the whole command, so `/metrics` shows what every fiber of
 * every daemon in the process recorded.
 */
export const run = <A, E, R>(body: (app: App) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(resolve, (app) =>
    body(app).pipe(Effect.provide(logging(app)), Effect.provideService(Metric.MetricRegistry, new Map()))
  )
