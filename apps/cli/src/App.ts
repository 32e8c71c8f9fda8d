/**
 * What every command resolves first: the shared flags, the validated
 * configuration, and the layers built from them (database, bronze, logging).
 */
import { FileSystemBronze } from "@medallion/bronze"
import { SilverDatabase } from "@medallion/silver"
import * as Path from "node:path"
import { Effect, Layer, Metric, Option } from "effect"
import * as Database from "./Database.ts"
import * as Logging from "./Logging.ts"
import * as MedallionConfig from "./MedallionConfig.ts"
import { root } from "./Root.ts"

export interface App {
  readonly dataDir: string
  readonly config: MedallionConfig.MedallionConfig
  readonly bronzeRoot: string
  readonly logFormat: Logging.LogFormat
}

export const resolve = Effect.gen(function* () {
  const flags = yield* root
  const config = yield* MedallionConfig.load(Option.getOrUndefined(flags.config))
  const dataDir = Path.resolve(flags.dataDir)
  return {
    dataDir,
    config,
    bronzeRoot: Path.resolve(config.bronze.root ?? Path.join(dataDir, "bronze")),
    logFormat: flags.logFormat
  } satisfies App
})

/**
 * `SilverDatabase` (+ `PgClient`, `SqlClient`): `DATABASE_URL` when set (with
 * the `PG*` settings it leaves out, and TLS), else the embedded server under
 * the data dir.
 */
export const database = (app: App) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const target = yield* Database.target(app.dataDir)
      return target.kind === "external"
        ? SilverDatabase.layer
        : SilverDatabase.layerWith({ url: target.url, poolSize: app.config.database.poolSize })
    })
  )

/** Bronze on the local filesystem, both capabilities (the fetch side). */
export const bronze = (app: App) =>
  FileSystemBronze.layerWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery })

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
