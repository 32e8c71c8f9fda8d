import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import { fetchDaemon } from "./Fetch.ts"
import * as TransformWiring from "../TransformWiring.ts"

/** Both daemons in one process (the embedded default); the database is provided by the caller. */
export const bothDaemons = (app: App.App) => Layer.mergeAll(fetchDaemon(app), TransformWiring.layer(app))

export const start = Command.make(
  "start",
  {},
  Effect.fn(function* () {
    yield* App.run((app) => Layer.launch(bothDaemons(app).pipe(Layer.provide(App.database(app)))))
  })
).pipe(
  Command.withDescription(
    "Run the fetch and the transform daemon in one process. With no DATABASE_URL, an embedded PostgreSQL starts under the data dir and stops with the process."
  )
)
