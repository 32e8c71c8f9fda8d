import { HealthServer } from "@medallion/workers/ops"
import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import * as FetchWiring from "../FetchWiring.ts"

/** The fetch daemon with its health and metrics endpoints, as one layer. */
export const fetchDaemon = (app: App.App) =>
  Layer.mergeAll(
    App.startWarnings(app, "fetch"),
    FetchWiring.layer(app),
    HealthServer.layer({ daemon: "fetch", host: app.config.metrics.host, port: app.config.metrics.fetchPort })
  )

export const fetch = Command.make(
  "fetch",
  {},
  Effect.fn(function* () {
    yield* App.run((app) => Layer.launch(fetchDaemon(app)))
  })
).pipe(
  Command.withDescription(
    "Run the fetch daemon: every configured source on its schedule, then transcription and enrichment, writing bronze only. Needs no database."
  )
)
