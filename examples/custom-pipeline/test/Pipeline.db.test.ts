/**
 * End to end on real parts: a real HTTP server on loopback serving real API responses, the filesystem
 * bronze store in a temp folder, a fresh PostgreSQL database. The composed pipeline fetches into
 * bronze on its schedule; a tick of the bronze -> silver sensor writes the silver rows; a tick of the
 * silver -> gold sensor writes the gold rows.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeReader, FileSystemBronze } from "@medallion/bronze"
import { SensorRunner } from "@medallion/sensors"
import { ItemRepo, SilverDatabase } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { DateTime, Effect, Layer, Option, Schedule } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Pipeline, VideoLinksSensor, VideoLinksTable, YouTubeSource } from "../src/index.ts"
import * as Fixtures from "./support/Fixtures.ts"
import * as YouTubeServer from "./support/YouTubeServer.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-example-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const key = (externalId: string) => ({ sourceType: YouTubeSource.SOURCE_TYPE, externalId })

/** Re-checks `check` until it holds; the test's own timeout bounds it. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  effect.pipe(Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: check }))

describe("the composed pipeline on a real database", () => {
  it.live("fetch -> bronze -> sensor tick -> silver row -> gold row", () =>
    Effect.gen(function* () {
      const server = yield* YouTubeServer.start
      const root = Path.join(yield* tempDir, "bronze")
      const options: Pipeline.PipelineOptions = {
        source: { baseUrl: server.url, videoIds: Fixtures.WATCHED },
        fetchEvery: "1 hour",
        http: { addressPolicy: { allow: ["127.0.0.1/32"] } },
        // Ticks are triggered by the test; the interval only has to stay out of the way.
        sensorInterval: "1 hour",
        settle: "0 millis"
      }
      const services = yield* Layer.build(
        Layer.mergeAll(Pipeline.layer(options), ItemRepo.layer, VideoLinksTable.layer).pipe(
          Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" })),
          Layer.provideMerge(SilverDatabase.layerFromClient()),
          Layer.provideMerge(TestDatabase.layer)
        )
      )
      yield* Effect.gen(function* () {
        const reader = yield* BronzeReader
        const runner = yield* SensorRunner.SensorRunner
        const repo = yield* ItemRepo
        const table = yield* VideoLinksTable
        const sql = yield* SqlClient

        // The fetch side's first run starts with the layer; its items are fetched concurrently, in any order.
        const [refused, fetched] = yield* eventually(
          Effect.all([reader.listItem(key(Fixtures.REFUSED)), reader.listItem(key(Fixtures.FETCHED))]),
          ([refused, fetched]) =>
            refused.some((i) => i.key.artifactType.startsWith("fetch-error@")) && fetched.length > 0
        )
        assert.isAbove(refused.length, 0)
        assert.deepStrictEqual(
          fetched.map((i) => i.location),
          [`youtube/${Fixtures.FETCHED}/video.json`]
        )
        assert.deepStrictEqual(yield* reader.get(fetched[0]!.key), Fixtures.bytes("videos_info_single.json"))

        // The runner ticks once by itself when it starts, which may already have taken some of these
        // artifacts: tick until silver holds both videos past `pending`.
        const silver = Effect.all([repo.get(key(Fixtures.FETCHED)), repo.get(key(Fixtures.REFUSED))])
        yield* eventually(
          Effect.andThen(
            Effect.andThen(runner.tick(Pipeline.BRONZE_SENSOR), runner.awaitIdle(Pipeline.BRONZE_SENSOR)),
            silver
          ),
          (items) => items.every((item) => Option.isSome(item) && item.value.item.fetchStatus !== "pending")
        )

        const video = Option.getOrThrow(yield* repo.get(key(Fixtures.FETCHED)))
        assert.strictEqual(video.item.title, "What are Actions on Google (Assistant on Air)")
        assert.strictEqual(video.item.author, "Google Developers")
        assert.strictEqual(DateTime.formatIso(video.item.publishedAt!), "2019-03-21T20:37:49.000Z")
        assert.strictEqual(video.item.fetchStatus, "fetched")
        assert.strictEqual(video.item.transformStatus, "transformed")
        assert.deepStrictEqual(
          video.artifacts.map((a) => a.location),
          [`youtube/${Fixtures.FETCHED}/video.json`]
        )
        const failed = Option.getOrThrow(yield* repo.get(key(Fixtures.REFUSED)))
        assert.strictEqual(failed.item.fetchStatus, "failed")
        assert.include(failed.item.fetchError!, "HTTP 403")

        // Silver's commit-safe horizon passes the write once no older transaction is open: tick until it did.
        const links = yield* eventually(
          Effect.andThen(
            Effect.andThen(runner.tick(VideoLinksSensor.SENSOR_NAME), runner.awaitIdle(VideoLinksSensor.SENSOR_NAME)),
            table.byItem(key(Fixtures.FETCHED))
          ),
          (rows) => rows.length > 0
        )
        assert.deepStrictEqual(links, [
          { host: "bit.ly", links: 2 },
          { host: "goo.gle", links: 1 }
        ])
        const applied = yield* sql<{ id: number; name: string }>`select id, name from example_gold_migrations`
        assert.deepStrictEqual(
          applied.map((m) => `${m.id}_${m.name}`),
          ["1_video_links"]
        )
        assert.strictEqual(server.hits(Fixtures.routes[1]!.pathAndQuery), 1)
      }).pipe(Effect.provide(services))
    })
  )
})
