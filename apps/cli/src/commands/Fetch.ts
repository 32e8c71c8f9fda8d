import { FetchActivity } from "@medallion/workers/fetch"
import { HealthServer } from "@medallion/workers/ops"
import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import * as FetchWiring from "../FetchWiring.ts"

/** Health, metrics and the status page, which shows what the daemon recorded in its `FetchActivity`. */
const health = (app: App.App) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const activity = yield* FetchActivity
      return HealthServer.layer({
        daemon: "fetch",
        host: app.config.metrics.host,
        port: app.config.metrics.fetchPort,
        status: { sections: activity.snapshot }
      })
    })
  )

/** The fetch daemon with its health and metrics endpoints and its status page, as one layer. */
export const fetchDaemon = (app: App.App) =>
  Layer.mergeAll(App.startWarnings(app, "fetch"), FetchWiring.layer(app), health(app)).pipe(
    Layer.provide(FetchActivity.layer)
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
