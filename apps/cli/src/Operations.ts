/**
 * The layers the operator commands share: silver's repository, the sensor
 * store, bronze read-only, on the database of this deployment.
 */
import { SqlSensorStore } from "@medallion/sensors"
import { ItemRepo, SilverMigrator } from "@medallion/silver"
import { Effect, Layer } from "effect"
import * as App from "./App.ts"

export const layer = (app: App.App) =>
  Layer.mergeAll(ItemRepo.layer, SqlSensorStore.layer, App.bronzeReader(app)).pipe(
    // A fresh database gets its schema first, so commands show zeros rather than an error.
    Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run())),
    Layer.provideMerge(App.database(app))
  )

/** Runs an operator command body with the app resolved and its layers provided. */
export const run = <A, E, R>(body: (app: App.App) => Effect.Effect<A, E, R>) =>
  App.run((app) => body(app).pipe(Effect.provide(layer(app))))
