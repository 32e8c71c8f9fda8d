/**
 * The example's process: the YouTube source and its gold asset on Medallion's layers.
 *
 *   DATABASE_URL=postgres://... EXAMPLE_YOUTUBE_VIDEO_IDS=D-lhorsDlUQ,ovdbrdCIP7U \
 *   EXAMPLE_YOUTUBE_API_KEY=... node --conditions=@medallion/source examples/custom-pipeline/src/main.ts
 *
 * Configuration: `EXAMPLE_YOUTUBE_VIDEO_IDS` (comma-separated), `EXAMPLE_YOUTUBE_API_KEY` (optional,
 * redacted), `EXAMPLE_YOUTUBE_API_URL` (default `https://www.googleapis.com`),
 * `EXAMPLE_FETCH_EVERY` (default 1 hour), `MEDALLION_BRONZE_ROOT` (default `data/bronze`),
 * `EXAMPLE_FETCH_PORT` and `EXAMPLE_TRANSFORM_PORT` (each daemon's `/healthz`, `/metrics` and status
 * page on 127.0.0.1; default 9464 and 9465), and the database settings of `SilverDatabase.layer`
 * (`DATABASE_URL` or `PG*`). SIGINT/SIGTERM stop it cleanly.
 */
import { NodeRuntime } from "@effect/platform-node"
import { FileSystemBronze } from "@medallion/bronze"
import { SilverDatabase } from "@medallion/silver"
import { Config, Duration, Effect, Layer, Option } from "effect"
import * as Pipeline from "./Pipeline.ts"

const main = Layer.unwrap(
  Effect.gen(function* () {
    const videoIds = yield* Config.String("EXAMPLE_YOUTUBE_VIDEO_IDS")
    const apiKey = yield* Config.option(Config.Redacted("EXAMPLE_YOUTUBE_API_KEY"))
    const baseUrl = yield* Config.String("EXAMPLE_YOUTUBE_API_URL").pipe(
      Config.withDefault("https://www.googleapis.com")
    )
    const fetchEvery = yield* Config.Duration("EXAMPLE_FETCH_EVERY").pipe(Config.withDefault(Duration.hours(1)))
    const root = yield* Config.String("MEDALLION_BRONZE_ROOT").pipe(Config.withDefault("data/bronze"))
    const fetchPort = yield* Config.Port("EXAMPLE_FETCH_PORT").pipe(Config.withDefault(9464))
    const transformPort = yield* Config.Port("EXAMPLE_TRANSFORM_PORT").pipe(Config.withDefault(9465))
    const options: Pipeline.PipelineOptions = {
      source: {
        baseUrl,
        videoIds: videoIds
          .split(",")
          .map((id) => id.trim())
          .filter((id) => id.length > 0),
        apiKey: Option.getOrUndefined(apiKey)
      },
      fetchEvery,
      watchRoot: root,
      health: { host: "127.0.0.1", fetchPort, transformPort }
    }
    return Pipeline.layer(options).pipe(
      Layer.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })),
      Layer.provide(SilverDatabase.layer)
    )
  })
)

NodeRuntime.runMain(Layer.launch(main))
