/**
 * Silver rebuilt the ordinary way: the bronze -> silver sensor of the transform daemon (scan discovery,
 * the built-in transform job, runs in process) over the migrated bronze folder, on a silver database of
 * its own; and a wait, bounded and with a message, until it has handled everything.
 */
import { PgClient } from "@effect/sql-pg"
import { type BronzeReader, FileSystemBronze } from "@medallion/bronze"
import { BronzeSensor, InProcessLauncher, SensorRunner, SilverProvenance, SqlSensorStore } from "@medallion/sensors"
import {
  type DatabaseError,
  type DatabaseUnavailable,
  ItemRepo,
  SilverDatabase,
  SilverMigrator
} from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { TransformJob } from "@medallion/workers"
import { Clock, Effect, Layer, String as Str } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export const SENSOR = "bronze-to-silver"

/** A fresh silver database (migrated) as `SilverDatabase`, `SqlClient` and `PgClient`. */
export const database = Effect.gen(function* () {
  const db = yield* TestDatabase.makeDatabase("medallion_migrate_silver")
  const layer = SilverDatabase.layerFromClient().pipe(
    Layer.provideMerge(PgClient.layer({ url: db.url, transformResultNames: Str.snakeToCamel, maxConnections: 6 }))
  )
  const context = yield* Layer.build(layer)
  yield* SilverMigrator.run().pipe(Effect.provideContext(context))
  return { url: db.url, context }
})

/** The transform daemon's bronze -> silver sensor and its runs, over `root`, for as long as the scope lives. */
export const daemon = (root: string) =>
  Layer.effectDiscard(Effect.void).pipe(
    Layer.provide(
      SensorRunner.layer([
        BronzeSensor.scan<DatabaseError | DatabaseUnavailable, BronzeReader | ItemRepo | SqlClient>({
          name: SENSOR,
          job: TransformJob.make({ concurrency: 2 }),
          batchSize: 50,
          minInterval: "200 millis",
          tickTimeout: "30 seconds",
          settle: "300 millis",
          known: SilverProvenance.known
        })
      ])
    ),
    Layer.provide(InProcessLauncher.layer({ concurrency: 2 })),
    Layer.provide(Layer.mergeAll(SqlSensorStore.layer, ItemRepo.layer)),
    Layer.provide(FileSystemBronze.layerReaderWith({ root, catalog: "scan" }))
  )

/**
 * Waits until silver holds `items` items and the sensor, in a tick that started after `since` (epoch
 * ms) plus its settle window, found nothing new with no run left unfinished. Fails with what it saw
 * once `within` ms passed.
 */
export const settled = (options: { readonly items: number; readonly since: number; readonly within?: number }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const deadline = (yield* Clock.currentTimeMillis) + (options.within ?? 120_000)
    let last = ""
    while (true) {
      const [state] = yield* sql<{ items: number; open: number; quiet: number; failedRuns: number }>`
        select (select count(*)::int from items) as items,
               (select count(*)::int from sensor_runs where status in ('requested', 'running')) as open,
               (select count(*)::int from sensor_runs where status = 'failed') as failed_runs,
               (select count(*)::int from sensor_ticks
                 where sensor = ${SENSOR} and status = 'skipped'
                   and started_at > to_timestamp(${(options.since + 1500) / 1000})) as quiet`
      last = JSON.stringify(state)
      if (state!.items >= options.items && state!.open === 0 && state!.quiet > 0) return state!
      if ((yield* Clock.currentTimeMillis) > deadline) {
        return yield* Effect.die(
          new Error(`silver did not settle in time: expected ${options.items} items, saw ${last}`)
        )
      }
      yield* Effect.sleep("200 millis")
    }
  })
