/**
 * From the configuration file to the transform daemon's layer: bronze read-only
 * (folder or bucket), silver on DATABASE_URL or the embedded server, runs in
 * process or on the queue, and the health endpoint with a database check and
 * the status page.
 */
import { FileSystemBronze } from "@medallion/bronze"
import { ExtractPool, type TransformJob } from "@medallion/workers"
import { TransformDaemon, TransformDeployment } from "@medallion/transform-daemon"
import { SourcePlugins } from "@medallion/workers/plugins"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as App from "./App.ts"
import { policies } from "./commands/Retention.ts"
import { queueReport } from "./commands/Status.ts"

export const options = (app: App.App): TransformDaemon.TransformDaemonOptions => ({
  catalog: app.config.bronze.discovery,
  // Early wake-ups watch the local folder; an S3 store is polled.
  watchRoot: app.config.bronze.store === "filesystem" ? app.bronzeRoot : undefined,
  interval: app.config.sensors.interval,
  tickTimeout: app.config.sensors.tickTimeout,
  maxRunsPerTick: app.config.sensors.maxRunsPerTick,
  batchSize: app.config.sensors.batchSize,
  concurrency: app.config.runs.concurrency,
  maxAttempts: app.config.runs.maxAttempts,
  extractTimeout: app.config.transform.extractTimeout,
  extractThreads: app.config.transform.extractThreads,
  transforms: SourcePlugins.transforms(App.plugins(app))
})

/** Worker threads for the extractions of jobs run outside the daemon's runs (backfill, retry). */
export const extractPool = (app: App.App) => ExtractPool.layer({ threads: app.config.transform.extractThreads })

/** The bronze -> silver job as the daemon runs it, for the commands that run it themselves. */
export const transformJob = (app: App.App): ReturnType<typeof TransformJob.make> =>
  TransformDeployment.job(options(app))

/** How the daemon's runs are launched: in process, or on the queue (which needs the database URL). */
const launcher = (app: App.App) =>
  app.config.runs.launcher === "queue"
    ? Effect.map(Effect.service(App.DatabaseUrl), (connectionString): TransformDaemon.QueueLaunch => ({
        _tag: "Queue",
        connectionString,
        heartbeat: app.config.runs.queue.heartbeat,
        deadAfter: app.config.runs.queue.deadAfter,
        pollInterval: app.config.runs.queue.pollInterval,
        runTimeout: app.config.runs.queue.runTimeout
      }))
    : Effect.succeed<TransformDaemon.InProcessLaunch>({ _tag: "InProcess", runTimeout: app.config.runs.runTimeout })

/**
 * The scheduled retention of `retention.sources` (none: nothing), with the filesystem store's deleting
 * capability for it alone. On S3 retention is not supported (as purge): a WARN at start says so.
 */
const retention = (app: App.App) => {
  const sources = policies(app.config)
  if (sources.length === 0) return Layer.empty
  if (app.config.bronze.store === "s3")
    return Layer.effectDiscard(
      Effect.logWarning(
        "retention.sources is set but bronze.store is s3: retention supports the filesystem store only, no old version is removed"
      )
    )
  return TransformDeployment.scheduledRetention({ schedule: app.config.retention.schedule, sources }).pipe(
    Layer.provide(FileSystemBronze.layerWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery }))
  )
}

/**
 * The transform daemon as deployed (`TransformDeployment`: the daemon, its health endpoint, the
 * scheduled backfill, the gauges) with the configuration's settings, and bronze (read-only), as one
 * layer; the database (`App.database`) is provided by the caller, once per process.
 */
export const layer = (app: App.App) =>
  Layer.mergeAll(
    App.startWarnings(app, "transform"),
    retention(app),
    Layer.unwrap(
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const queue =
          app.config.runs.launcher === "queue"
            ? // Computed when the status page asks, on the daemon's own connections.
              Effect.map(queueReport(app.config.runs.maxAttempts), (queue) => ({ queue })).pipe(
                Effect.provideService(SqlClient, sql)
              )
            : undefined
        return TransformDeployment.layer({
          ...options(app),
          launcher: yield* launcher(app),
          health: { host: app.config.metrics.host, port: app.config.metrics.transformPort },
          store: app.config.bronze.store,
          backfillSchedule: app.config.backfill.schedule,
          statusExtra: queue
        })
      })
    )
  ).pipe(Layer.provide(App.bronzeReader(app)))
