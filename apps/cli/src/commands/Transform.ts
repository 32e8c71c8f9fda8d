import { Effect, Layer } from "effect"
import * as App from "../App.ts"
import * as TransformWiring from "../TransformWiring.ts"

/** What `medallion transform` runs (its definition: ../definitions/Transform.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(TransformWiring.layer(app).pipe(Layer.provide(App.database(app)))))
})
