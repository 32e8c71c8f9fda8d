/**
 * The user's own service, composed from Medallion's layers:
 *
 * - the fetch side: the YouTube source on a `Schedule` (`FetchWorker.runOnce` repeated), through
 *   `FetchHttp` into bronze; nothing in it can reach silver;
 * - the transform side: silver's and the example's migrations, then a `SensorRunner` with the
 *   bronze -> silver sensor (the built-in transforms plus the YouTube one) and the silver -> gold
 *   sensor of the custom gold asset, the in-process launcher and the sensor store in silver's database.
 *
 * Bronze and the database are left open (`FileSystemBronze.layerWith`, `SilverDatabase.layer` in
 * `main.ts`; a temp folder and `TestDatabase.layer` in the tests).
 */
import type { PgClient } from "@effect/sql-pg"
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { BronzeSensor, InProcessLauncher, type Sensor, SensorRunner, SqlSensorStore, Wakeups } from "@medallion/sensors"
import { CHANGED_CHANNEL, ItemRepo, type SilverDatabase } from "@medallion/silver"
import { SourceTransforms, TransformJob } from "@medallion/workers"
import { FetchHttp, type FetchHttpOptions, FetchWorker } from "@medallion/workers/fetch"
import { Duration, Effect, Layer, Schedule } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as GoldMigrations from "./GoldMigrations.ts"
import * as VideoLinksSensor from "./VideoLinksSensor.ts"
import { VideoLinksTable } from "./VideoLinksTable.ts"
import * as YouTubeSource from "./YouTubeSource.ts"
import { youTubeTransform } from "./YouTubeTransform.ts"

export const BRONZE_SENSOR = "example.bronze-to-silver"

export interface PipelineOptions {
  readonly source: YouTubeSource.YouTubeSourceOptions
  /** Time between two runs of the source. */
  readonly fetchEvery: Duration.Input
  /** The HTTP client's settings (e.g. `addressPolicy` to allow a local API). */
  readonly http?: Partial<FetchHttpOptions> | undefined
  /** Polling interval of both sensors; wake-ups make them react sooner. */
  readonly sensorInterval?: Duration.Input | undefined
  /** The bronze -> silver sensor waits this long for a file to settle (default 5 s). */
  readonly settle?: Duration.Input | undefined
  /** The bronze folder to watch for early wake-ups (filesystem bronze only). */
  readonly watchRoot?: string | undefined
}

/** The registry the transform uses: Medallion's `hn`, `feed`, `web`, and `youtube`. */
export const transforms = SourceTransforms.extend(SourceTransforms.builtIn, [youTubeTransform])

/** The source on its schedule, for as long as the layer lives. Needs bronze only. */
export const fetchSide = (options: PipelineOptions): Layer.Layer<never, never, BronzeWriter | BronzeReader> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const source = YouTubeSource.make(options.source)
      const run = FetchWorker.runOnce(source).pipe(
        Effect.tap((report) =>
          Effect.logInfo(
            `youtube: ${report.discovered} discovered, ${report.fetched} fetched, ${report.skipped} unchanged, ${report.failed} failed`
          )
        )
      )
      yield* Effect.forkScoped(Effect.repeat(run, Schedule.spaced(Duration.fromInputUnsafe(options.fetchEvery))))
    })
  ).pipe(Layer.provide(FetchHttp.layer(options.http)))

type SensorRequirements = BronzeReader | ItemRepo | VideoLinksTable | SqlClient | PgClient.PgClient

/** Bronze -> silver with the YouTube transform: needs bronze and `ItemRepo` only (so it runs on the doubles). */
export const bronzeSensor = (options: PipelineOptions): Sensor.AnySensor<BronzeReader | ItemRepo> =>
  BronzeSensor.scan({
    name: BRONZE_SENSOR,
    job: TransformJob.make({ transforms }),
    minInterval: options.sensorInterval,
    settle: options.settle,
    wake: options.watchRoot === undefined ? undefined : Wakeups.fileSystem(options.watchRoot)
  })

/** The two sensors: bronze -> silver with the YouTube transform, silver -> gold for the video links. */
export const sensors = (options: PipelineOptions): ReadonlyArray<Sensor.AnySensor<SensorRequirements>> => [
  bronzeSensor(options),
  VideoLinksSensor.sensor({ minInterval: options.sensorInterval, wake: Wakeups.postgresListen(CHANGED_CHANNEL) })
]

/** Migrations first, then the sensors. Exposes the `SensorRunner` (to tick, wake, or ask for status). */
export const transformSide = (
  options: PipelineOptions
): Layer.Layer<SensorRunner.SensorRunner, unknown, BronzeReader | SilverDatabase | SqlClient | PgClient.PgClient> =>
  SensorRunner.layer(sensors(options)).pipe(
    Layer.provide(InProcessLauncher.layer({ concurrency: 2 })),
    Layer.provide(Layer.mergeAll(SqlSensorStore.layer, ItemRepo.layer, VideoLinksTable.layer)),
    Layer.provide(GoldMigrations.layer)
  )

/** Both sides in one process. */
export const layer = (options: PipelineOptions) => Layer.merge(fetchSide(options), transformSide(options))
