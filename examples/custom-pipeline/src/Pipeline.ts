/**
 * The user's own service: Medallion's two daemons as `medallion fetch` and `medallion transform` deploy
 * them (`FetchDeployment`, `TransformDeployment`: health, metrics, the status page, leases, the queue
 * when asked), with the project's own parts plugged in:
 *
 * - the fetch daemon runs the YouTube watch list as one of its scheduled sources; nothing on that side
 *   can reach silver;
 * - the transform daemon runs the bronze -> silver sensor with the built-in transforms plus the YouTube
 *   one, and, beside it, the silver -> gold sensor of the custom gold asset, after the example's own
 *   migrations.
 *
 * Bronze and the database are left open (`FileSystemBronze.layerWith`, `SilverDatabase.layer` in
 * `main.ts`; a temp folder and `TestDatabase.layer` in the tests).
 */
import { FetchDeployment } from "@medallion/fetch-daemon"
import type { BronzeReader } from "@medallion/bronze"
import { BronzeSensor, type Sensor, Wakeups } from "@medallion/sensors"
import { CHANGED_CHANNEL, type ItemRepo } from "@medallion/silver"
import { TransformDaemon, TransformDeployment } from "@medallion/transform-daemon"
import { SourceTransforms, TransformJob } from "@medallion/workers"
import type { FetchHttpOptions } from "@medallion/workers/fetch"
import { Duration, Layer } from "effect"
import * as GoldMigrations from "./GoldMigrations.ts"
import * as VideoLinksSensor from "./VideoLinksSensor.ts"
import { VideoLinksTable } from "./VideoLinksTable.ts"
import * as YouTubeSource from "./YouTubeSource.ts"
import { youTubeTransform } from "./YouTubeTransform.ts"

/** The name the deployed transform daemon gives its bronze -> silver sensor. */
export const BRONZE_SENSOR = TransformDaemon.BRONZE_SENSOR

export interface PipelineOptions {
  readonly source: YouTubeSource.YouTubeSourceOptions
  /** Time between two runs of the source. */
  readonly fetchEvery: Duration.Input
  /** The HTTP client's settings (e.g. `addressPolicy` to allow a local API). */
  readonly http?: Partial<FetchHttpOptions> | undefined
  /** Polling interval of both sensors; wake-ups make them react sooner (default 30 s). */
  readonly sensorInterval?: Duration.Input | undefined
  /** The bronze folder to watch for early wake-ups (filesystem bronze only). */
  readonly watchRoot?: string | undefined
  /** Where each daemon serves `/healthz`, `/metrics` and its status page (port 0: any free port). */
  readonly health?: { readonly host: string; readonly fetchPort: number; readonly transformPort: number } | undefined
}

const health = (options: PipelineOptions) => options.health ?? { host: "127.0.0.1", fetchPort: 0, transformPort: 0 }

/** The registry the transform uses: Medallion's `hn`, `feed`, `web`, and `youtube`. */
export const transforms = SourceTransforms.extend(SourceTransforms.builtIn, [youTubeTransform])

/** The bronze -> silver job the transform daemon runs, with the YouTube transform. */
export const job: ReturnType<typeof TransformJob.make> = TransformJob.make({ transforms })

/** The fetch daemon with the watch list on its schedule. Needs bronze only. */
export const fetchDaemon = (options: PipelineOptions) =>
  FetchDeployment.layer({
    sources: [
      {
        name: "youtube-watchlist",
        every: Duration.fromInputUnsafe(options.fetchEvery),
        source: YouTubeSource.make(options.source)
      }
    ],
    concurrency: 4,
    http: options.http ?? {},
    health: { host: health(options).host, port: health(options).fetchPort }
  })

/** The gold sensor, beside the daemon's own: it wakes on silver's `LISTEN` channel, polling as the safety net. */
const goldSensor = (options: PipelineOptions) =>
  VideoLinksSensor.sensor({ minInterval: options.sensorInterval, wake: Wakeups.postgresListen(CHANGED_CHANNEL) })

/**
 * The transform daemon with the YouTube transform and the gold sensor (in place of Medallion's own
 * example gold asset), after the example's migrations. Needs bronze (read-only) and the database.
 */
export const transformDaemon = (options: PipelineOptions) =>
  TransformDeployment.layer({
    catalog: "scan",
    watchRoot: options.watchRoot,
    interval: Duration.fromInputUnsafe(options.sensorInterval ?? "30 seconds"),
    tickTimeout: Duration.seconds(30),
    maxRunsPerTick: 10,
    batchSize: 100,
    concurrency: 2,
    maxAttempts: 3,
    transforms,
    gold: false,
    sensors: [goldSensor(options)],
    health: { host: health(options).host, port: health(options).transformPort },
    store: "filesystem"
  }).pipe(Layer.provide(VideoLinksTable.layer), Layer.provide(GoldMigrations.layer))

/** Both daemons in one process. */
export const layer = (options: PipelineOptions) => Layer.merge(fetchDaemon(options), transformDaemon(options))

/**
 * The bronze -> silver step for tests on the doubles: the daemon's job on a scan sensor that needs no
 * database (the daemon's own also asks silver which items it already holds).
 */
export const bronzeSensor = (
  options: { readonly settle?: Duration.Input | undefined } = {}
): Sensor.AnySensor<BronzeReader | ItemRepo> => BronzeSensor.scan({ name: BRONZE_SENSOR, job, settle: options.settle })
