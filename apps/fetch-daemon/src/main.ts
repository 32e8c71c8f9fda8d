/**
 * The fetch daemon as a process of its own, for a deployment that runs it without the `medallion` CLI
 * (a container, a systemd unit): the same configuration file, the same layer `medallion fetch` runs
 * (`FetchConfig.layer`), on the bronze store the file names. SIGINT/SIGTERM stop it cleanly within the CLI's bound (15 s), with the
 * exit code of an interrupted `medallion` command (130).
 *
 *   node --conditions=@medallion/source apps/fetch-daemon/src/main.ts          (a checkout)
 *   node node_modules/@medallion/fetch-daemon/dist/main.js                     (installed)
 *
 * Settings from the environment, as the CLI reads them: `MEDALLION_CONFIG` (the file; default
 * `./medallion.config.json` when present, else the defaults), `MEDALLION_DATA_DIR` (default `./data`:
 * bronze goes in its `bronze` folder unless `bronze.root` says otherwise), `MEDALLION_LOG_FORMAT`
 * (`pretty`, `json`, `logfmt`), the S3 credentials and the API keys the file's sections name.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { DaemonProcess, Logging, MedallionConfig } from "@medallion/workers/config"
import * as Path from "node:path"
import { Config, Effect, Layer, Option } from "effect"
import * as FetchConfig from "./FetchConfig.ts"

/** The bronze store the configuration names, with both capabilities: the folder, or the bucket. */
const bronze = (config: MedallionConfig.MedallionConfig, root: string) =>
  config.bronze.store === "s3"
    ? Layer.unwrap(
        Effect.zipWith(
          MedallionConfig.s3Options(config),
          // Imported only when chosen: the AWS SDK is large to load.
          Effect.promise(() => import("@medallion/bronze/s3")),
          (options, { S3Bronze }) => S3Bronze.layerWith(options)
        )
      )
    : FileSystemBronze.layerWith({ root, catalog: config.bronze.discovery })

const main = Effect.gen(function* () {
  const file = yield* Config.option(Config.String("MEDALLION_CONFIG"))
  const dataDir = yield* Config.String("MEDALLION_DATA_DIR").pipe(Config.withDefault("./data"))
  const format = yield* Config.Literals(Logging.LogFormats, "MEDALLION_LOG_FORMAT").pipe(Config.withDefault("pretty"))
  const { config, plugins } = yield* MedallionConfig.load(Option.getOrUndefined(file))
  const root = Path.resolve(config.bronze.root ?? Path.join(dataDir, "bronze"))
  return yield* Layer.launch(FetchConfig.layer(config, plugins).pipe(Layer.provideMerge(bronze(config, root)))).pipe(
    Effect.provide(Logging.layer(format))
  )
})

DaemonProcess.run("fetch daemon", main)
