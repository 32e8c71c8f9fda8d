/**
 * From the configuration file to the transform daemon as deployed: bronze read-only, runs in process or
 * on the queue, the health endpoint with a database check and the status page (with the queue's section
 * in queue mode), the scheduled backfill, and the scheduled retention on the filesystem store. What
 * `medallion transform` and this package's `main` run; silver's database and bronze's reader are left to
 * the caller.
 */
import { type ArtifactVersions, FileSystemBronze } from "@medallion/bronze"
import { QueueReport } from "@medallion/queue"
import { ItemRetention } from "@medallion/silver"
import { ExtractPool, type TransformJob } from "@medallion/workers"
import { MedallionConfig } from "@medallion/workers/config"
import { SourcePlugins } from "@medallion/workers/plugins"
import { Duration, Effect, Layer, type Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type * as TransformDaemon from "./TransformDaemon.ts"
import * as TransformDeployment from "./TransformDeployment.ts"

type Settings = MedallionConfig.MedallionConfig

/** Where the deployment's bronze and database are, beside the configuration. */
export interface Placement {
  /** The filesystem store's folder (`bronze.root`, or the data dir's `bronze`). */
  readonly bronzeRoot: string
  /** Silver's database, for the queue's own connections (queue mode only). */
  readonly databaseUrl?: Redacted.Redacted<string> | undefined
}

/** The daemon's options; without `bronzeRoot` (a job run outside the daemon) nothing is watched. */
export const options = (
  config: Settings,
  plugins: SourcePlugins.Registry,
  bronzeRoot?: string
): TransformDaemon.TransformDaemonOptions => ({
  catalog: config.bronze.discovery,
  // Early wake-ups watch the local folder; an S3 store is polled.
  watchRoot: config.bronze.store === "filesystem" ? bronzeRoot : undefined,
  interval: config.sensors.interval,
  tickTimeout: config.sensors.tickTimeout,
  maxRunsPerTick: config.sensors.maxRunsPerTick,
  batchSize: config.sensors.batchSize,
  concurrency: config.runs.concurrency,
  maxAttempts: config.runs.maxAttempts,
  extractTimeout: config.transform.extractTimeout,
  extractThreads: config.transform.extractThreads,
  transforms: SourcePlugins.transforms(plugins)
})

/** Worker threads for the extractions of jobs run outside the daemon's runs (backfill, retry). */
export const extractPool = (config: Settings) => ExtractPool.layer({ threads: config.transform.extractThreads })

/** The bronze -> silver job as the daemon runs it, for the commands that run it themselves. */
export const transformJob = (config: Settings, plugins: SourcePlugins.Registry): ReturnType<typeof TransformJob.make> =>
  TransformDeployment.job(options(config, plugins))

/** The configuration's retention policies (`retention.sources`), as `ItemRetention` takes them. */
export const policies = (config: Settings): ReadonlyArray<ItemRetention.SourcePolicy> =>
  Object.entries(config.retention.sources).map(([sourceType, p]) => {
    const policy: ArtifactVersions.RetentionPolicy = {
      keepVersions: p.keepVersions,
      keepForMs: p.keepFor === undefined ? undefined : Duration.toMillis(p.keepFor)
    }
    return {
      sourceType,
      policy,
      reason: ItemRetention.describePolicy(policy, p.keepFor === undefined ? undefined : Duration.format(p.keepFor))
    }
  })

/** How the daemon's runs are launched: in process, or on the queue (which needs the database URL). */
const launcher = (config: Settings, placement: Placement) => {
  if (config.runs.launcher !== "queue")
    return Effect.succeed<TransformDaemon.InProcessLaunch>({ _tag: "InProcess", runTimeout: config.runs.runTimeout })
  const connectionString = placement.databaseUrl
  if (connectionString === undefined)
    return Effect.fail(
      new MedallionConfig.ConfigFileError({
        file: "(environment)",
        message: "runs.launcher is queue: the queue needs silver's database URL (DATABASE_URL)"
      })
    )
  return Effect.succeed<TransformDaemon.QueueLaunch>({
    _tag: "Queue",
    connectionString,
    heartbeat: config.runs.queue.heartbeat,
    deadAfter: config.runs.queue.deadAfter,
    pollInterval: config.runs.queue.pollInterval,
    runTimeout: config.runs.queue.runTimeout
  })
}

/**
 * The scheduled retention of `retention.sources` (none: nothing), with the filesystem store's deleting
 * capability for it alone. On S3 retention is not supported (as purge): a WARN at start says so.
 */
const retention = (config: Settings, bronzeRoot: string) => {
  const sources = policies(config)
  if (sources.length === 0) return Layer.empty
  if (config.bronze.store === "s3")
    return Layer.effectDiscard(
      Effect.logWarning(
        "retention.sources is set but bronze.store is s3: retention supports the filesystem store only, no old version is removed"
      )
    )
  return TransformDeployment.scheduledRetention({ schedule: config.retention.schedule, sources }).pipe(
    Layer.provide(FileSystemBronze.layerWith({ root: bronzeRoot, catalog: config.bronze.discovery }))
  )
}

/**
 * The transform daemon as deployed (`TransformDeployment`: the daemon, its health endpoint, the
 * scheduled backfill, the gauges) with the configuration's settings, its start warnings and its scheduled
 * retention, as one layer. Needs silver's database and bronze's reader, provided once per process.
 */
export const layer = (config: Settings, plugins: SourcePlugins.Registry, placement: Placement) =>
  Layer.mergeAll(
    MedallionConfig.startWarningsLayer(config, "transform"),
    retention(config, placement.bronzeRoot),
    Layer.unwrap(
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const queue =
          config.runs.launcher === "queue"
            ? // Computed when the status page asks, on the daemon's own connections.
              Effect.map(QueueReport.make(config.runs.maxAttempts), (queue) => ({ queue })).pipe(
                Effect.provideService(SqlClient, sql)
              )
            : undefined
        return TransformDeployment.layer({
          ...options(config, plugins, placement.bronzeRoot),
          launcher: yield* launcher(config, placement),
          health: { host: config.metrics.host, port: config.metrics.transformPort },
          store: config.bronze.store,
          backfillSchedule: config.backfill.schedule,
          statusExtra: queue
        })
      })
    )
  )
