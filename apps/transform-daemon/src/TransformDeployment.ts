/**
 * The transform daemon as `medallion transform` deploys it: the daemon itself (sensors, runs in
 * process or on the queue), its health endpoint with a database check, metrics and the status page,
 * the gauges that need a query, and the scheduled backfill (and, composed beside it, the scheduled
 * retention, the one part that deletes from bronze). Its requirements stay open: the caller
 * provides silver's database (`SilverDatabase` and its clients) and bronze (`BronzeReader`), so a
 * service of one's own composes the same daemon the CLI runs.
 */
import { Backfill, StatusReport } from "@medallion/sensors"
import { ItemRepo, ItemRetention, SilverDatabase } from "@medallion/silver"
import { ExtractPool, TransformJob } from "@medallion/workers"
import { HealthServer, TransformStatus } from "@medallion/workers/ops"
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import * as TransformDaemon from "./TransformDaemon.ts"

export interface TransformDeploymentOptions<R = never> extends TransformDaemon.TransformDaemonOptions<R> {
  /** Where `/healthz`, `/metrics` and the status page are served (port 0: any free port). */
  readonly health: { readonly host: string; readonly port: number }
  /** What the status report says of the deployment. */
  readonly store: "filesystem" | "s3"
  /** A cron expression: a full backfill on this schedule inside the daemon (never moving the cursors). */
  readonly backfillSchedule?: string | undefined
  /** More sections of the status page (the queue's, say), computed when the page asks. */
  readonly statusExtra?: Effect.Effect<Readonly<Record<string, unknown>>, unknown, never> | undefined
}

const launcherName = (options: TransformDeploymentOptions<unknown>): "queue" | "in-process" =>
  options.launcher?._tag === "Queue" ? "queue" : "in-process"

/** What `medallion status` reports, for the gauges and the status page. */
const reportOptions = (options: TransformDeploymentOptions<unknown>) => ({
  bronzeSensor: TransformDaemon.BRONZE_SENSOR,
  catalog: options.catalog,
  launcher: launcherName(options),
  store: options.store,
  tickBudgetMs: 0.8 * Duration.toMillis(options.tickTimeout)
})

const health = (options: TransformDeploymentOptions<unknown>) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const db = yield* SilverDatabase
      const status = yield* TransformStatus.source({
        // The page's lag is counted as far as the gauges count it: a page open for hours stays cheap.
        report: { ...reportOptions(options), lagLimit: 10_000 },
        extra: options.statusExtra
      })
      return HealthServer.layer({
        daemon: "transform",
        host: options.health.host,
        port: options.health.port,
        checks: [{ name: "database", check: db.client`select 1` }],
        status
      })
    })
  ).pipe(Layer.provide(ItemRepo.layer))

/** The bronze -> silver job as the daemon's runs do it, for the jobs run beside them (backfill). */
export const job = (options: TransformDaemon.TransformDaemonOptions<unknown>): ReturnType<typeof TransformJob.make> =>
  TransformJob.make({
    concurrency: options.concurrency,
    extractTimeout: options.extractTimeout,
    transforms: options.transforms
  })

/**
 * The guidelines' scheduled re-materialization: with `backfillSchedule` set, a full backfill on that
 * cron schedule (never moving the sensors' cursors).
 */
const scheduledBackfill = (options: TransformDeploymentOptions<unknown>) => {
  const cron = options.backfillSchedule
  if (cron === undefined) return Layer.empty
  const once = Backfill.run({ job: job(options) }).pipe(
    Effect.tap((report) =>
      Effect.logInfo(
        `scheduled backfill: ${report.processed} item(s) transformed again, ${report.failed.length} failed`
      )
    ),
    Effect.catchCause((cause) => Effect.logError("scheduled backfill failed", cause))
  )
  return Layer.effectDiscard(Effect.forkScoped(Effect.schedule(once, Schedule.cron(cron)))).pipe(
    Layer.provide(Layer.merge(ItemRepo.layer, ExtractPool.layer({ threads: options.extractThreads })))
  )
}

const itemsGauge = Metric.gauge("silver_items", {
  description: "Items in silver, by source and status (refreshed every 30 s)"
})
const lagGauge = Metric.gauge("bronze_lag_artifacts", {
  description: "Bronze artifacts the bronze -> silver sensor has not handed out yet (counted up to 10,000)"
})

/** Refreshes the gauges that need a query: items per status, and the lag behind bronze. */
const statusGauges = (options: TransformDeploymentOptions<unknown>) =>
  Layer.effectDiscard(
    StatusReport.make({ ...reportOptions(options), lagLimit: 10_000, failedItems: 0 }).pipe(
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

/** The daemon, its health endpoint, the gauges and the scheduled backfill, as one layer. */
export const layer = <R = never>(options: TransformDeploymentOptions<R>) =>
  Layer.mergeAll(TransformDaemon.layer(options), health(options), scheduledBackfill(options), statusGauges(options))

export interface RetentionOptions {
  /** A cron expression: one retention pass over `sources` on this schedule. */
  readonly schedule: string
  readonly sources: ReadonlyArray<ItemRetention.SourcePolicy>
  /** Who the audit rows say asked (default `transform-daemon`). */
  readonly by?: string | undefined
}

const retentionRemoved = Metric.counter("bronze_retention_removed_artifacts", {
  description: "Old artifact versions removed from bronze by the scheduled retention"
})
const retentionFailures = Metric.counter("bronze_retention_failures", {
  description: "Sources and items whose scheduled retention failed (each also a WARN with the source and reason)"
})

/**
 * The daemon's upkeep of bronze: a retention pass (`ItemRetention.runSources`) on its cron schedule.
 * Apart from the daemon's layer because it needs `BronzePurge`, which the daemon itself never has: a
 * deployment that wants it composes it beside `layer` with a store that may delete. A failure is a WARN
 * with the source and the reason, and the schedule goes on.
 */
export const scheduledRetention = (options: RetentionOptions) => {
  if (options.sources.length === 0) return Layer.empty
  const once = ItemRetention.runSources(options.sources, options.by ?? "transform-daemon").pipe(
    Effect.tap((reports) =>
      Effect.gen(function* () {
        const removed = reports.reduce((n, r) => n + r.done.reduce((m, d) => m + d.artifacts.length, 0), 0)
        const failed = reports.reduce((n, r) => n + r.failed.length + (r.error === undefined ? 0 : 1), 0)
        yield* Metric.update(retentionRemoved, removed)
        yield* Metric.update(retentionFailures, failed)
        yield* Effect.logInfo(
          `scheduled retention: ${removed} old version(s) removed from ${reports.length} source(s), ${failed} failure(s)`
        )
      })
    ),
    Effect.catchCause((cause) =>
      Effect.andThen(Metric.update(retentionFailures, 1), Effect.logWarning("scheduled retention failed", cause))
    )
  )
  return Layer.effectDiscard(Effect.forkScoped(Effect.schedule(once, Schedule.cron(options.schedule))))
}
