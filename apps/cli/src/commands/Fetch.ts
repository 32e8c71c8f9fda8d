import { Effect, Layer } from "effect"
import * as App from "../App.ts"
import * as FetchWiring from "../FetchWiring.ts"

/** The fetch daemon with its health and metrics endpoints and its status page, as one layer. */
export const fetchDaemon = (app: App.App) => Layer.mergeAll(App.startWarnings(app, "fetch"), FetchWiring.layer(app))

/** What `medallion fetch` runs (its definition: ../definitions/Fetch.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(fetchDaemon(app)))
})
