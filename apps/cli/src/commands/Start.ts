import { Effect, Layer } from "effect"
import * as App from "../App.ts"
import { fetchDaemon } from "./Fetch.ts"
import { transformDaemon } from "./Transform.ts"

/** Both daemons in one process (the embedded default); the database is provided by the caller. */
export const bothDaemons = (app: App.App) => Layer.mergeAll(fetchDaemon(app), transformDaemon(app))

/** What `medallion start` runs (its definition: ../definitions/Start.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(bothDaemons(app).pipe(Layer.provide(App.database(app)))))
})
