/**
 * The custom gold asset's job and sensor: on silver's commit-safe change feed
 * (`SilverChangesSensor`), every changed YouTube item gets its links per host recomputed from its
 * silver row (`body_text`) and written to `example_gold_video_links`.
 *
 * The job is idempotent (it replaces an item's rows), so a run replayed after a crash writes the same
 * rows. It reads silver through `ItemRepo`, so its logic runs unchanged on `ItemRepo.layerTest` and
 * `VideoLinksTable.layerTest`; `sensorTest` is the same sensor on the change feed's double.
 */
import type { ItemKey } from "@medallion/bronze"
import { Job, type Sensor, SilverChangesSensor, SilverChangesSensorTest } from "@medallion/sensors"
import { type DatabaseError, type DatabaseUnavailable, ItemRepo } from "@medallion/silver"
import type { SqlClient } from "effect/sql/SqlClient"
import { type Duration, Effect, Option, type Stream } from "effect"
import * as LinkHosts from "./LinkHosts.ts"
import { VideoLinksTable } from "./VideoLinksTable.ts"
import { SOURCE_TYPE } from "./YouTubeSource.ts"

export const SENSOR_NAME = "example.gold.video_links"

/** Recomputes the gold rows of the items of a microbatch; other source types are not this asset's. */
export const refresh = Effect.fn("VideoLinksSensor.refresh")(function* (items: ReadonlyArray<ItemKey>) {
  const repo = yield* ItemRepo
  const table = yield* VideoLinksTable
  const ours = items.filter((item) => item.sourceType === SOURCE_TYPE)
  const entries = yield* Effect.forEach(ours, (item) =>
    Effect.map(repo.get(item), (detail) => ({
      item,
      // An item silver no longer has, or has without text, has no links.
      hosts: Option.match(detail, { onNone: () => [], onSome: (d) => LinkHosts.count(d.item.bodyText) })
    }))
  )
  yield* table.replace(entries)
  return entries
})

export const job = Job.make({
  name: "example_gold_video_links",
  item: SilverChangesSensor.ItemKey,
  run: (items: ReadonlyArray<ItemKey>) => Effect.as(refresh(items), Job.succeeded)
})

export const sensor = <WR = never>(
  options: {
    readonly minInterval?: Duration.Input | undefined
    /** E.g. `Wakeups.postgresListen(CHANGED_CHANNEL)`: silver notifies in its write transactions. */
    readonly wake?: Stream.Stream<unknown, never, WR> | undefined
  } = {}
): Sensor.AnySensor<SqlClient | ItemRepo | VideoLinksTable | WR> =>
  SilverChangesSensor.make<DatabaseError | DatabaseUnavailable, ItemRepo | VideoLinksTable | WR>({
    name: SENSOR_NAME,
    job,
    minInterval: options.minInterval,
    wake: options.wake
  })

/** The same sensor for tests with no database: the same job on `ItemRepo`'s change feed (`SilverChangesSensorTest`). */
export const sensorTest = (): Sensor.AnySensor<ItemRepo | VideoLinksTable> =>
  SilverChangesSensorTest.make<DatabaseError | DatabaseUnavailable, ItemRepo | VideoLinksTable>({
    name: SENSOR_NAME,
    job
  })
