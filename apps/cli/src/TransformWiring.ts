/**
 * From the configuration file to the transform daemon's layer: bronze read-only
 * on the filesystem, silver on DATABASE_URL or the embedded server, and the
 * health endpoint with a database check.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { SilverDatabase } from "@medallion/silver"
import { TransformDaemon } from "@medallion/transform-daemon"
import { HealthServer } from "@medallion/workers/ops"
import { Effect, Layer } from "effect"
import * as App from "./App.ts"

export const options = (app: App.App): TransformDaemon.TransformDaemonOptions => ({
  catalog: app.config.bronze.catalog,
  watchRoot: app.bronzeRoot,
  interval: app.config.sensors.interval,
  tickTimeout: app.config.sensors.tickTimeout,
  maxRunsPerTick: app.config.sensors.maxRunsPerTick,
  batchSize: app.config.sensors.batchSize,
  concurrency: app.config.runs.concurrency,
  maxAttempts: app.config.runs.maxAttempts
})

/** Bronze for the transform side: the reader only, so nothing here can write bronze. */
export const bronzeReader = (app: App.App) =>
  FileSystemBronze.layerReaderWith({ root: app.bronzeRoot, catalog: app.config.bronze.catalog })

const health = (app: App.App) =>
  Layer.unwrap(
    Effect.map(SilverDatabase, (db) =>
      HealthServer.layer({
        daemon: "transform",
        host: app.config.metrics.host,
        port: app.config.metrics.transformPort,
        checks: [{ name: "database", check: db.client`select 1` }]
      })
    )
  )

/**
 * The transform daemon, its health endpoint and bronze (read-only), as one
 * layer; the database (`App.database`) is provided by the caller, once per process.
 */
export const layer = (app: App.App) =>
  Layer.mergeAll(TransformDaemon.layer(options(app)), health(app)).pipe(Layer.provide(bronzeReader(app)))
