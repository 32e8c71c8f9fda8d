import * as FetchConfig from "@medallion/fetch-daemon/config"
import { Effect, Layer } from "effect"
import * as App from "../App.ts"

/** The fetch daemon as deployed (`FetchConfig`), on the configuration's bronze. */
export const fetchDaemon = (app: App.App) =>
  FetchConfig.layer(app.config, App.plugins(app)).pipe(Layer.provideMerge(App.bronze(app)))

/** What `medallion fetch` runs (its definition: ../definitions/Fetch.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(fetchDaemon(app)))
})
