/**
 * The example's pipeline composed end to end on the shipped doubles, no database, no network: the
 * YouTube source on `FetchHttp.layerTest` (real API responses) into `MemoryBronze`, the transform
 * daemon's job on a scan sensor on `SensorRunner.layerTest` (ticks on demand) into `ItemRepo.layerTest`,
 * then the gold sensor on the change feed's double (`VideoLinksSensor.sensorTest`) into
 * `VideoLinksTable.layerTest`.
 */
import { assert, describe, it } from "@effect/vitest"
import { type BronzeReader, MemoryBronze } from "@medallion/bronze"
import { type Sensor, SensorRunner } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { FetchHttp, FetchWorker } from "@medallion/workers/fetch"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Pipeline, VideoLinksSensor, VideoLinksTable, YouTubeSource } from "../src/index.ts"
import * as Fixtures from "./support/Fixtures.ts"

const BASE = "https://youtube.example"
const options: Pipeline.PipelineOptions = {
  source: { baseUrl: BASE, videoIds: Fixtures.WATCHED },
  fetchEvery: "1 hour"
}

const http = FetchHttp.layerTest(
  Object.fromEntries(
    Fixtures.routes.map((route) => [
      `${BASE}${route.pathAndQuery}`,
      { status: route.status, body: Fixtures.text(route.file), headers: { "content-type": "application/json" } }
    ])
  )
)

const sensors: ReadonlyArray<Sensor.AnySensor<BronzeReader | ItemRepo | VideoLinksTable>> = [
  Pipeline.bronzeSensor(),
  VideoLinksSensor.sensorTest()
]
const doubles = SensorRunner.layerTest(sensors).pipe(
  Layer.provideMerge(Layer.mergeAll(MemoryBronze.layer, ItemRepo.layerTest, VideoLinksTable.layerTest)),
  Layer.provideMerge(http)
)

const key = (externalId: string) => ({ sourceType: YouTubeSource.SOURCE_TYPE, externalId })

describe("the custom pipeline on the doubles", () => {
  it.effect("fetch -> bronze -> the pipeline's sensor -> silver -> gold, with no database", () =>
    Effect.gen(function* () {
      const runner = yield* SensorRunner.SensorRunner
      const repo = yield* ItemRepo
      const fetched = yield* FetchWorker.runOnce(YouTubeSource.make(options.source))
      assert.deepStrictEqual([fetched.fetched, fetched.failed], [1, 1])

      // Files younger than the sensor's settle time are left for a later tick.
      yield* TestClock.adjust("1 minute")
      const tick = yield* runner.tick(Pipeline.BRONZE_SENSOR)
      assert.strictEqual(tick.status, "success", tick.reason ?? "")
      yield* runner.awaitIdle(Pipeline.BRONZE_SENSOR)

      const video = Option.getOrThrow(yield* repo.get(key(Fixtures.FETCHED))).item
      assert.deepStrictEqual([video.fetchStatus, video.transformStatus], ["fetched", "transformed"])
      assert.strictEqual(video.title, "What are Actions on Google (Assistant on Air)")
      const refused = Option.getOrThrow(yield* repo.get(key(Fixtures.REFUSED))).item
      assert.strictEqual(refused.fetchStatus, "failed")
      assert.include(refused.fetchError!, "HTTP 403")

      // Nothing new in bronze: the next tick requests no run.
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual((yield* runner.tick(Pipeline.BRONZE_SENSOR)).requested, [])

      // The gold sensor hands out what silver's change feed says changed.
      const gold = yield* runner.tick(VideoLinksSensor.SENSOR_NAME)
      assert.strictEqual(gold.status, "success", gold.reason ?? "")
      yield* runner.awaitIdle(VideoLinksSensor.SENSOR_NAME)
      assert.deepStrictEqual(yield* (yield* VideoLinksTable).topHosts(10), [
        { host: "bit.ly", links: 2, items: 1 },
        { host: "goo.gle", links: 1, items: 1 }
      ])
    }).pipe(Effect.provide(doubles))
  )
})
