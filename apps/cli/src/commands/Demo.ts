import { StatusReport } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { TransformDaemon } from "@medallion/transform-daemon"
import { FixtureServer } from "@medallion/workers/testing"
import * as Path from "node:path"
import { Effect, Layer, Schedule } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import * as MedallionConfig from "../MedallionConfig.ts"
import { bothDaemons } from "./Start.ts"

/** Everything points at the loopback fixture server; nothing leaves the machine. */
export const demoDocument = (url: string) => ({
  sources: [
    { type: "hn", baseUrl: url, maxItems: 8, every: "2 minutes" },
    { type: "feed", name: "podcast", url: `${url}/podcast.xml`, every: "2 minutes" }
  ],
  http: { allowNetworks: ["127.0.0.1/32"] },
  transcription: { enabled: true, endpoint: url, model: "whisper-1" },
  sensors: { interval: "1 second", batchSize: 10 },
  metrics: { fetchPort: 0, transformPort: 0 }
})

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

export const demo = Command.make(
  "demo",
  {},
  Effect.fn(function* () {
    yield* App.run((resolved) =>
      Layer.launch(
        Layer.unwrap(
          Effect.gen(function* () {
            const server = yield* FixtureServer
            const dataDir = Path.join(resolved.dataDir, "demo")
            const config = yield* MedallionConfig.decode("(demo)", demoDocument(server.url))
            const app: App.App = { ...resolved, dataDir, config, bronzeRoot: Path.join(dataDir, "bronze") }
            yield* Effect.logInfo(
              `demo: serving captured Hacker News items, a podcast feed and a Whisper-compatible API on ${server.url}; ` +
                `data in ${dataDir}. In another terminal: pnpm medallion --data-dir ${dataDir} status`
            )
            return Layer.mergeAll(bothDaemons(app), progress(app)).pipe(Layer.provide(App.database(app)))
          })
        ).pipe(Layer.provide(FixtureServer.layer()))
      )
    )
  })
).pipe(
  Command.withDescription(
    "Offline demo: a loopback server with real captured data (Hacker News stories, pages, a podcast with audio, a Whisper-compatible API) feeds both daemons on the embedded PostgreSQL, under <data dir>/demo."
  )
)
