import { StatusReport } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { TransformDaemon } from "@medallion/transform-daemon"
import { FixtureServer, redditThreads, youtubeVideos } from "@medallion/workers/testing"
import * as Path from "node:path"
import { ConfigProvider, Console, Effect, Layer, Schedule } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import * as ExitCode from "../ExitCode.ts"
import { MedallionConfig } from "@medallion/workers/config"
import * as StatusWords from "../StatusWords.ts"
import { bothDaemons } from "./Start.ts"

/**
 * The variable the demo's YouTube entry reads its API key from. The fixture server asks for a key but
 * takes any: when the variable is not set, the demo gives it `demoYoutubeKey` (see `demoKey`).
 */
export const DEMO_YOUTUBE_KEY_ENV = "MEDALLION_DEMO_YOUTUBE_API_KEY"

const demoYoutubeKey = "demo-key-not-a-secret"

/** Everything points at the loopback fixture server; nothing leaves the machine. */
export const demoDocument = (url: string) => ({
  sources: [
    { type: "hn", baseUrl: url, maxItems: 8, every: "2 minutes" },
    { type: "feed", name: "podcast", url: `${url}/podcast.xml`, every: "2 minutes" },
    { type: "reddit", name: "reddit", baseUrl: url, threads: Object.keys(redditThreads) },
    {
      type: "youtube",
      name: "youtube",
      baseUrl: `${url}/youtube/v3`,
      videos: Object.keys(youtubeVideos),
      apiKeyEnv: DEMO_YOUTUBE_KEY_ENV
    }
  ],
  http: { allowNetworks: ["127.0.0.1/32"] },
  transcription: { enabled: true, endpoint: url, model: "whisper-1" },
  sensors: { interval: "1 second", batchSize: 10 },
  metrics: { fetchPort: 0, transformPort: 0 }
})

/** The demo's YouTube key, for its process only: the environment's value first, when there is one. */
const demoKey = ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ [DEMO_YOUTUBE_KEY_ENV]: demoYoutubeKey }))

/** One line every few seconds: what silver holds so far. */
const progress = (app: App.App) =>
  Layer.effectDiscard(
    StatusReport.make({
      bronzeSensor: TransformDaemon.BRONZE_SENSOR,
      catalog: app.config.bronze.discovery,
      failedItems: 0
    }).pipe(
      Effect.flatMap((report) =>
        Effect.logInfo(
          `demo: silver holds ${report.items.total} item(s) ` +
            `(${report.transformStatus["transformed"] ?? 0} transformed, ` +
            `${report.transcriptionStatus["transcribed"] ?? 0} transcribed); ` +
            `${report.lag?.artifacts ?? 0} bronze artifact(s) waiting`
        )
      ),
      Effect.catchCause((cause) => Effect.logWarning("demo: status not available yet", cause)),
      Effect.repeat(Schedule.spaced("5 seconds")),
      Effect.delay("3 seconds"),
      Effect.forkScoped
    )
  ).pipe(Layer.provide(Layer.mergeAll(ItemRepo.layer, App.bronzeReader(app))))

/** What the demo leaves behind, in words: the layers as `status` tells them, and where to look next. */
export const summary = (report: StatusReport.StatusReport, dataDir: string): string =>
  [
    "demo stopped. What it ingested:",
    "",
    ...StatusWords.layers(report),
    "",
    `Its data stays in ${dataDir} (bronze files and the embedded PostgreSQL).`,
    `Look again:       pnpm exec medallion --data-dir ${dataDir} status`,
    `Search it:        pnpm exec medallion --data-dir ${dataDir} search country   (the podcast's transcript)`,
    `Start afresh:     rm -rf ${dataDir}`
  ].join("\n")

/** On the way out, while the database is still open: the closing summary on stdout. */
const closing = (app: App.App) =>
  Layer.effectDiscard(
    Effect.addFinalizer(() =>
      StatusReport.make({
        bronzeSensor: TransformDaemon.BRONZE_SENSOR,
        catalog: app.config.bronze.discovery,
        failedItems: 0
      }).pipe(
        Effect.flatMap((report) => Console.log(summary(report, app.dataDir))),
        // The shutdown has a bound (15 s): the summary takes a few of those seconds at most.
        Effect.timeout("5 seconds"),
        Effect.catchCause((cause) => Effect.logWarning("demo: no closing summary", cause))
      )
    )
  ).pipe(Layer.provide(Layer.mergeAll(ItemRepo.layer, App.bronzeReader(app))))

/**
 * The demo's server listens here when the port is free: its feed's URL, and so its episodes' ids, stay
 * the same from one demo run to the next on the same data dir.
 */
export const DEMO_PORT = 47_463

export const demo = Command.make(
  "demo",
  {},
  Effect.fn(function* () {
    // The demo runs until Ctrl-C or SIGTERM, its normal end: exit 0 then.
    yield* ExitCode.runsUntilStopped
    yield* App.run((resolved) =>
      Layer.launch(
        Layer.unwrap(
          Effect.gen(function* () {
            const server = yield* FixtureServer
            const dataDir = Path.join(resolved.dataDir, "demo")
            const config = yield* MedallionConfig.decode("(demo)", demoDocument(server.url))
            const app: App.App = { ...resolved, dataDir, config, bronzeRoot: Path.join(dataDir, "bronze") }
            yield* Effect.logInfo(
              `demo: serving captured Hacker News items, a podcast feed, Reddit threads, YouTube videos and a Whisper-compatible API on ${server.url}; ` +
                `data in ${dataDir}. In another terminal: pnpm exec medallion --data-dir ${dataDir} status. Ctrl-C stops it.`
            )
            return Layer.mergeAll(bothDaemons(app).pipe(Layer.provide(demoKey)), progress(app), closing(app)).pipe(
              Layer.provide(App.database(app))
            )
          })
          // The bundled stories' comments are not bundled: served without them, the demo asks for none.
        ).pipe(Layer.provide(FixtureServer.layer({ servedKidsOnly: true, preferredPort: DEMO_PORT })))
      )
    )
  })
).pipe(
  Command.withDescription(
    "Offline demo: a loopback server with real captured data (Hacker News stories, pages, a podcast with audio, Reddit threads, YouTube videos with their comments, a Whisper-compatible API) feeds both daemons on the embedded PostgreSQL, under <data dir>/demo."
  )
)
