/**
 * From the configuration file to the transform daemon's layer: bronze read-only
 * (folder or bucket), silver on DATABASE_URL or the embedded server, runs in
 * process or on the queue, and the health endpoint with a database check and
 * the status page.
 */
import { Backfill, StatusReport } from "@medallion/sensors"
import { ItemRepo, SilverDatabase } from "@medallion/silver"
import { ExtractPool, TransformJob } from "@medallion/workers"
import { TransformDaemon } from "@medallion/transform-daemon"
import { HealthServer, TransformStatus } from "@medallion/workers/ops"
import { SourcePlugins } from "@medallion/workers/plugins"
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import * as App from "./App.ts"
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
  TransformJob.make({
    concurrency: app.config.runs.concurrency,
    extractTimeout: app.config.transform.extractTimeout,
    transforms: SourcePlugins.transforms(App.plugins(app))
  })

/** The daemon itself, with its runs in process or on the queue (which needs the database URL). */
const daemon = (app: App.App) =>
  app.config.runs.launcher === "queue"
    ? Layer.unwrap(
        Effect.map(App.DatabaseUrl, (connectionString) =>
          TransformDaemon.layer({
            ...options(app),
            launcher: {
              _tag: "Queue",
              connectionString,
              heartbeat: app.config.runs.queue.heartbeat,
              deadAfter: app.config.runs.queue.deadAfter,
              pollInterval: app.config.runs.queue.pollInterval,
              runTimeout: app.config.runs.queue.runTimeout
            }
          })
        )
      )
    : TransformDaemon.layer({
        ...options(app),
        launcher: { _tag: "InProcess", runTimeout: app.config.runs.runTimeout }
      })

/** What `medallion status` reports, for the gauges and the status page. */
const reportOptions = (app: App.App) => ({
  bronzeSensor: TransformDaemon.BRONZE_SENSOR,
  catalog: app.config.bronze.discovery,
  launcher: app.config.runs.launcher,
  store: app.config.bronze.store,
  tickBudgetMs: 0.8 * Duration.toMillis(app.config.sensors.tickTimeout)
})

const health = (app: App.App) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const db = yield* SilverDatabase
      const status = yield* TransformStatus.source({
        // The page's lag is counted as far as the gauges count it: a page open for hours stays cheap.
        report: { ...reportOptions(app), lagLimit: 10_000 },
        extra:
          app.config.runs.launcher === "queue"
            ? Effect.map(queueReport(app.config.runs.maxAttempts), (queue) => ({ queue }))
            : undefined
      })
      return HealthServer.layer({
        daemon: "transform",
        host: app.config.metrics.host,
        port: app.config.metrics.transformPort,
        checks: [{ name: "database", check: db.client`select 1` }],
        status
      })
    })
  ).pipe(Layer.provide(ItemRepo.layer))

/**
 * The guidelines' scheduled re-materialization: with `backfill.schedule` set,
 * the daemon runs a full backfill on that cron schedule (never moving the
 * sensors' cursors).
 */
const scheduledBackfill = (app: App.App) => {
  const cron = app.config.backfill.schedule
  if (cron === undefined) return Layer.empty
  const job = transformJob(app)
  const once = Backfill.run({ job }).pipe(
    Effect.tap((report) =>
      Effect.logInfo(
        `scheduled backfill: ${report.processed} item(s) transformed again, ${report.failed.length} failed`
      )
    ),
    Effect.catchCause((cause) => Effect.logError("scheduled backfill failed", cause))
  )
  return Layer.effectDiscard(Effect.forkScoped(Effect.schedule(once, Schedule.cron(cron)))).pipe(
    Layer.provide(Layer.merge(ItemRepo.layer, extractPool(app)))
  )
}

const itemsGauge = Metric.gauge("silver_items", {
  description: "Items in silver, by source and status (refreshed every 30 s)"
})
const lagGauge = Metric.gauge("bronze_lag_artifacts", {
  description: "Bronze artifacts the bronze -> silver sensor has not handed out yet (counted up to 10,000)"
})

/** Refreshes the gauges that need a query: items per status, and the lag behind bronze. */
const statusGauges = (app: App.App) =>
  Layer.effectDiscard(
    StatusReport.make({ ...reportOptions(app), lagLimit: 10_000, failedItems: 0 }).pipe(
      Effect.flatMap((report) =>
        Effect.gen(function* () {
          for (const c of report.counts) {
            yield* Metric.update(
              Metric.withAttributes(itemsGauge, {
                source: c.sourceType,
                fetch_status: c.fetchStatus,
                transcription_status: c.transcriptionStatus,
                transform_status: c.transformStatus
              }),
              c.count
            )
          }
          if (report.lag !== null) yield* Metric.update(lagGauge, report.lag.artifacts)
        })
      ),
      Effect.catchCause((cause) => Effect.logDebug("status gauges not refreshed", cause)),
      Effect.repeat(Schedule.spaced("30 seconds")),
      Effect.forkScoped
    )
  ).pipe(Layer.provide(ItemRepo.layer))

/**
 * The transform daemon, its health endpoint, the scheduled backfill and bronze
 * (read-only), as one layer; the database (`App.database`) is provided by the
 * caller, once per process.
 */
export const layer = (app: App.App) =>
  Layer.mergeAll(
    App.startWarnings(app, "transform"),
    daemon(app),
    health(app),
    scheduledBackfill(app),
    statusGauges(app)
  ).pipe(Layer.provide(App.bronzeReader(app)))
