/**
 * The fetch daemon as a process of its own, for a deployment that runs it without the `medallion` CLI
 * (a container, a systemd unit): the same configuration file, the same layer `medallion fetch` runs
 * (`FetchConfig.layer`), on the bronze store the file names, with the CLI's exit codes
 * (`DaemonProcess`): SIGINT/SIGTERM stop it within the CLI's bound (15 s), exit 130.
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
import { DaemonProcess, MedallionConfig } from "@medallion/workers/config"
import { Effect, Layer } from "effect"
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
  const { config, plugins, bronzeRoot, logging } = yield* DaemonProcess.settings
  return yield* Layer.launch(
    FetchConfig.layer(config, plugins).pipe(Layer.provideMerge(bronze(config, bronzeRoot)))
  ).pipe(Effect.provide(logging))
})

DaemonProcess.run("fetch daemon", main)
