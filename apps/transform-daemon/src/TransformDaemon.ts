/**
 * The transform daemon: brings silver's schema up to date, then runs the
 * bronze -> silver sensor (whose runs transform items into silver rows) and
 * the silver -> gold sensor (whose runs refresh the example gold table).
 *
 * It reads bronze through `BronzeReader` only: no code path here can write
 * bronze. Any number of transform daemons may run against one database: each
 * sensor is owned by one of them at a time (a lease), and a dead owner's
 * sensors are taken over when its lease expires.
 *
 * Runs execute in one of two ways. `in-process`: in the daemon that ticked
 * (a dead owner's unfinished runs are relaunched by the next owner). `queue`:
 * the tick enqueues them on a durable queue in the same PostgreSQL, and every
 * daemon consumes it, so N daemons share the work; a dead daemon's runs go
 * back to the queue once its heartbeat is older than `deadAfter`.
 */
import {
  BronzeSensor,
  DiscoverySwitch,
  GoldDailyCounts,
  InProcessLauncher,
  type Sensor,
  SensorRunner,
  SilverProvenance,
  SqlSensorStore,
  Wakeups
} from "@medallion/sensors"
import {
  CHANGED_CHANNEL,
  type DatabaseError,
  type DatabaseUnavailable,
  ItemRepo,
  SilverMigrator
} from "@medallion/silver"
import type { BronzeReader } from "@medallion/bronze"
import type { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "effect/sql/SqlClient"
import { QueueLauncher, QueueWorker } from "@medallion/queue"
import { ExtractPool, type SourceTransforms, TransformJob } from "@medallion/workers"
import type { Duration, Redacted } from "effect"
import { Effect, Layer } from "effect"
import { BRONZE_SENSOR } from "./SensorNames.ts"

export interface TransformDaemonOptions<R = never> {
  /** How the bronze -> silver sensor discovers artifacts: a tree walk, or the append-only index. */
  readonly catalog: "scan" | "index"
  /** The bronze folder to watch for early wake-ups (filesystem bronze only). */
  readonly watchRoot?: string | undefined
  readonly interval: Duration.Duration
  readonly tickTimeout: Duration.Duration
  readonly maxRunsPerTick: number
  /** Items per run. */
  readonly batchSize: number
  /** Runs executing at once, and attempts per run before it is recorded as failed. */
  readonly concurrency: number
  readonly maxAttempts: number
  /** Also run the silver -> gold sensor and its example gold asset (default true). */
  readonly gold?: boolean | undefined
  /** Lease time of a sensor: how long before another daemon takes over a dead one's sensors. */
  readonly leaseTtl?: Duration.Input | undefined
  /** Where runs execute (default in-process). */
  readonly launcher?: InProcessLaunch | QueueLaunch | undefined
  /** The time budget of one artifact's extraction (default 5 seconds): over it, `extract-timeout`. */
  readonly extractTimeout?: Duration.Input | undefined
  /** Worker threads for extraction (default: the CPU count). */
  readonly extractThreads?: number | undefined
  /** The per-source transforms (default: the built-in ones); a plug-in registry gives them with `SourcePlugins.transforms`. */
  readonly transforms?: SourceTransforms.SourceTransforms | undefined
  /**
   * More sensors beside bronze -> silver and gold, such as a project's own gold assets: owned, leased,
   * ticked and launched (in process or on the queue) like the daemon's own. What they need beyond the
   * daemon's services (`R`, a gold table say) is left to the caller.
   */
  readonly sensors?: ReadonlyArray<Sensor.AnySensor<R>> | undefined
}

export interface InProcessLaunch {
  readonly _tag: "InProcess"
  /** The longest one attempt of a run may take before it is given up and retried (default 10 minutes). */
  readonly runTimeout?: Duration.Input | undefined
}

export interface QueueLaunch {
  readonly _tag: "Queue"
  /** The database of silver, for the queue's own connections. */
  readonly connectionString: Redacted.Redacted<string>
  readonly heartbeat: Duration.Duration
  readonly deadAfter: Duration.Duration
  readonly pollInterval: Duration.Duration
  readonly runTimeout: Duration.Duration
}

export { BRONZE_SENSOR }

/** What the sensors and their jobs read: bronze (read-only), silver's repository and its connection. */
type SensorRequirements = BronzeReader | ItemRepo | SqlClient | PgClient.PgClient

/** The sensors the daemon runs, for callers (like `backfill` or `status`) that need their names. */
export const sensors = <R = never>(
  options: TransformDaemonOptions<R>
): ReadonlyArray<Sensor.AnySensor<SensorRequirements | R>> => {
  const job = TransformJob.make({
    concurrency: options.concurrency,
    extractTimeout: options.extractTimeout,
    transforms: options.transforms
  })
  const common = {
    name: BRONZE_SENSOR,
    job,
    batchSize: options.batchSize,
    maxRunsPerTick: options.maxRunsPerTick,
    minInterval: options.interval,
    tickTimeout: options.tickTimeout,
    wake: options.watchRoot === undefined ? undefined : Wakeups.fileSystem(options.watchRoot)
  }
  const bronze =
    options.catalog === "index"
      ? BronzeSensor.index(common)
      : BronzeSensor.scan<DatabaseError | DatabaseUnavailable, BronzeReader | ItemRepo | SqlClient>({
          ...common,
          known: SilverProvenance.known
        })
  const gold = GoldDailyCounts.sensor({ wake: Wakeups.postgresListen(CHANGED_CHANNEL) })
  const own: Array<Sensor.AnySensor<SensorRequirements>> = options.gold === false ? [bronze] : [bronze, gold]
  return [...own, ...(options.sensors ?? [])]
}

/**
 * Migrations first, then the sensors, their store and the in-process launcher.
 * The layer exposes no service: it runs for as long as it lives.
 */
export const layer = <R = never>(options: TransformDaemonOptions<R>) => {
  const all = sensors(options)
  const launch = options.launcher ?? { _tag: "InProcess" }
  const runs =
    launch._tag === "Queue"
      ? Layer.merge(
          QueueLauncher.layer({ connectionString: launch.connectionString, maxAttempts: options.maxAttempts }),
          QueueWorker.layer(all, {
            connectionString: launch.connectionString,
            concurrency: options.concurrency,
            heartbeatInterval: launch.heartbeat,
            deadAfter: launch.deadAfter,
            pollInterval: launch.pollInterval,
            runTimeout: launch.runTimeout
          })
        )
      : InProcessLauncher.layer({
          concurrency: options.concurrency,
          maxAttempts: options.maxAttempts,
          runTimeout: launch.runTimeout
        })
  return Layer.effectDiscard(
    Effect.logInfo(
      `transform daemon running (discovery: ${options.catalog}, launcher: ${launch._tag === "Queue" ? "queue" : "in-process"})`
    )
  ).pipe(
    // A cursor of the other discovery mode stops the start with what to do, before the sensor takes it.
    Layer.provide(
      SensorRunner.layer(all, { leaseTtl: options.leaseTtl }).pipe(
        Layer.provide(Layer.effectDiscard(DiscoverySwitch.assertMode(BRONZE_SENSOR, options.catalog)))
      )
    ),
    Layer.provideMerge(runs),
    Layer.provide(Layer.mergeAll(SqlSensorStore.layer, ItemRepo.layer)),
    // The runs' extractions go to worker threads, within their budget.
    Layer.provide(ExtractPool.layer({ threads: options.extractThreads })),
    Layer.provide(Layer.effectDiscard(SilverMigrator.run()))
  )
}
