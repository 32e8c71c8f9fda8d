import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"
import * as TransformWiring from "../TransformWiring.ts"

export const transform = Command.make(
  "transform",
  {},
  Effect.fn(function* () {
    yield* App.run((app) => Layer.launch(TransformWiring.layer(app).pipe(Layer.provide(App.database(app)))))
  })
).pipe(
  Command.withDescription(
    "Run the transform daemon: migrate, then the bronze -> silver sensor and its transform runs, and the silver -> gold sensor. Reads bronze, writes silver."
  )
)
