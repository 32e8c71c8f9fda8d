import { FetchActivity } from "@medallion/workers/fetch"
import { HealthServer } from "@medallion/workers/ops"
import { Effect, Layer } from "effect"
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

/** What `medallion fetch` runs (its definition: ../definitions/Fetch.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(fetchDaemon(app)))
})
