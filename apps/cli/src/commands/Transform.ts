import { TransformConfig } from "@medallion/transform-daemon"
import { Effect, Layer } from "effect"
import * as App from "../App.ts"

/**
 * The transform daemon as deployed (`TransformConfig`), on the configuration's bronze (read-only); the
 * database (`App.database`) is provided by the caller, once per process.
 */
export const transformDaemon = (app: App.App) =>
  Layer.unwrap(
    Effect.map(Effect.service(App.DatabaseUrl), (databaseUrl) =>
      TransformConfig.layer(app.config, App.plugins(app), { bronzeRoot: app.bronzeRoot, databaseUrl })
    )
  ).pipe(Layer.provide(App.bronzeReader(app)))

/** What `medallion transform` runs (its definition: ../definitions/Transform.ts). */
export const handler = Effect.fn(function* () {
  yield* App.run((app) => Layer.launch(transformDaemon(app).pipe(Layer.provide(App.database(app)))))
})
