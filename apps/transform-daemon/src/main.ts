/**
 * The transform daemon as a process of its own, for a deployment that runs it without the `medallion`
 * CLI (a container, a systemd unit, one of many on a queue): the same configuration file, the same layer
 * `medallion transform` runs (`TransformConfig.layer`), on the database `DATABASE_URL` names and the
 * bronze store the file names, read-only, with the CLI's exit codes (`DaemonProcess`): SIGINT/SIGTERM
 * stop it within the CLI's bound (15 s), exit 130.
 *
 *   DATABASE_URL=postgres://... node --conditions=@medallion/source apps/transform-daemon/src/main.ts
 *   DATABASE_URL=postgres://... node node_modules/@medallion/transform-daemon/dist/main.js  (installed)
 *
 * Settings from the environment, as the CLI reads them (`DaemonProcess.settings`): `DATABASE_URL` (or
 * `PGHOST` and the other `PG*` settings, except in queue mode, whose connections need the URL; without
 * either the start is refused, exit 2: the embedded PostgreSQL is the CLI's), `MEDALLION_CONFIG`,
 * `MEDALLION_DATA_DIR` (default `./data`, for the filesystem store's `bronze` folder),
 * `MEDALLION_LOG_FORMAT`, and the S3 credentials.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { nodePostgresUrlFromEnv, SilverDatabase } from "@medallion/silver"
import { DaemonProcess, MedallionConfig } from "@medallion/workers/config"
import { Config, Effect, Layer, Option } from "effect"
import * as TransformConfig from "./TransformConfig.ts"

/** The bronze store the configuration names, read-only: the folder, or the bucket. */
const bronzeReader = (config: MedallionConfig.MedallionConfig, root: string) =>
  config.bronze.store === "s3"
    ? Layer.unwrap(
        Effect.zipWith(
          MedallionConfig.s3Options(config),
          // Imported only when chosen: the AWS SDK is large to load.
          Effect.promise(() => import("@medallion/bronze/s3")),
          (options, { S3Bronze }) => S3Bronze.layerReaderWith(options)
        )
      )
    : FileSystemBronze.layerReaderWith({ root, catalog: config.bronze.discovery })

const main = Effect.gen(function* () {
  const databaseUrl = yield* Config.option(Config.Redacted("DATABASE_URL"))
  // Without either, the driver's defaults would name some local server: refuse rather than guess.
  if (Option.isNone(databaseUrl) && Option.isNone(yield* Config.option(Config.String("PGHOST"))))
    return yield* new MedallionConfig.ConfigFileError({
      file: "(environment)",
      message:
        "DATABASE_URL is not set (nor PGHOST): the transform daemon's own process needs silver's database; the embedded PostgreSQL is the medallion CLI's (medallion transform)"
    })
  const { config, plugins, bronzeRoot, logging } = yield* DaemonProcess.settings
  const daemon = TransformConfig.layer(config, plugins, {
    bronzeRoot,
    // The queue's own connections carry the TLS settings silver's do (queue mode needs DATABASE_URL).
    databaseUrl: Option.isSome(databaseUrl) ? yield* nodePostgresUrlFromEnv(databaseUrl.value) : undefined
  })
  return yield* Layer.launch(
    daemon.pipe(Layer.provide(bronzeReader(config, bronzeRoot)), Layer.provide(SilverDatabase.layer))
  ).pipe(Effect.provide(logging))
})

DaemonProcess.run("transform daemon", main)
