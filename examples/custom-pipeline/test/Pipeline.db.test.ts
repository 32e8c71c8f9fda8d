/**
 * End to end on real parts: a real HTTP server on loopback serving real API responses, the filesystem
 * bronze store in a temp folder, a fresh PostgreSQL database, and the two daemons as the CLI deploys
 * them. The fetch daemon fetches into bronze on its schedule; the transform daemon's bronze -> silver
 * sensor writes the silver rows, its gold sensor the gold rows; both serve their health and metrics.
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeReader, FileSystemBronze } from "@medallion/bronze"
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

/** A port nothing listens on, for a daemon's health endpoint. */
const freePort = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const key = (externalId: string) => ({ sourceType: YouTubeSource.SOURCE_TYPE, externalId })

/** Re-checks `check` until it holds; the test's own timeout bounds it. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  effect.pipe(Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: check }))

const metrics = (port: number) =>
  Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text()))

describe("the composed pipeline on a real database", () => {
  it.live(
    "the deployed daemons: fetch -> bronze -> silver row -> gold row, with health and metrics",
    () =>
      Effect.gen(function* () {
        const server = yield* YouTubeServer.start
        const root = Path.join(yield* tempDir, "bronze")
        const [fetchPort, transformPort] = [yield* freePort, yield* freePort]
        const options: Pipeline.PipelineOptions = {
          source: { baseUrl: server.url, videoIds: Fixtures.WATCHED },
          fetchEvery: "1 hour",
          http: { addressPolicy: { allow: ["127.0.0.1/32"] } },
          // The daemons tick on their own; a short interval keeps the test quick.
          sensorInterval: "200 millis",
          watchRoot: root,
          health: { host: "127.0.0.1", fetchPort, transformPort }
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
          const repo = yield* ItemRepo
          const table = yield* VideoLinksTable
          const sql = yield* SqlClient

          // The fetch daemon's first run starts with it; its items are fetched concurrently, in any order.
          const [refused, fetched] = yield* eventually(
            Effect.all([reader.listItem(key(Fixtures.REFUSED)), reader.listItem(key(Fixtures.FETCHED))]),
            ([refused, fetched]) =>
              refused.some((i) => i.key.artifactType.startsWith("fetch-error@")) && fetched.length > 0
          )
          assert.isAbove(refused.length, 0)
          // Beside the video, the daemon's media step may have recorded a declined transcription (none is set up).
          const video = fetched.find((i) => i.location === `youtube/${Fixtures.FETCHED}/video.json`)!
          assert.deepStrictEqual(yield* reader.get(video.key), Fixtures.bytes("videos_info_single.json"))

          // The transform daemon's sensor hands the artifacts out once they settle.
          const silver = Effect.all([repo.get(key(Fixtures.FETCHED)), repo.get(key(Fixtures.REFUSED))])
          yield* eventually(silver, (items) =>
            items.every((item) => Option.isSome(item) && item.value.item.fetchStatus !== "pending")
          )
          const row = Option.getOrThrow(yield* repo.get(key(Fixtures.FETCHED)))
          assert.strictEqual(row.item.title, "What are Actions on Google (Assistant on Air)")
          assert.strictEqual(row.item.author, "Google Developers")
          assert.strictEqual(DateTime.formatIso(row.item.publishedAt!), "2019-03-21T20:37:49.000Z")
          assert.strictEqual(row.item.fetchStatus, "fetched")
          assert.strictEqual(row.item.transformStatus, "transformed")
          assert.deepStrictEqual(
            row.artifacts.map((a) => a.location),
            [`youtube/${Fixtures.FETCHED}/video.json`]
          )
          const failed = Option.getOrThrow(yield* repo.get(key(Fixtures.REFUSED)))
          assert.strictEqual(failed.item.fetchStatus, "failed")
          assert.include(failed.item.fetchError!, "HTTP 403")

          // The gold sensor, beside the daemon's own, follows silver's change feed.
          const links = yield* eventually(table.byItem(key(Fixtures.FETCHED)), (rows) => rows.length > 0)
          assert.deepStrictEqual(links, [
            { host: "bit.ly", links: 2 },
            { host: "goo.gle", links: 1 }
          ])
          const applied = yield* sql<{ id: number; name: string }>`select id, name from example_gold_migrations`
          assert.deepStrictEqual(
            applied.map((m) => `${m.id}_${m.name}`),
            ["1_video_links"]
          )
          const gold = yield* sql<{ sensor: string }>`
            select sensor from sensor_runs where sensor = ${VideoLinksSensor.SENSOR_NAME} and status = 'succeeded'`
          assert.isAbove(gold.length, 0)
          assert.strictEqual(server.hits(Fixtures.routes[1]!.pathAndQuery), 1)

          // Both daemons serve what the CLI's do: the fetch side's source metrics, the transform side's runs.
          const fetchMetrics = yield* metrics(fetchPort)
          assert.match(fetchMetrics, /source="youtube-watchlist"/)
          const transformMetrics = yield* eventually(metrics(transformPort), (text) =>
            text.includes(VideoLinksSensor.SENSOR_NAME)
          )
          assert.include(transformMetrics, Pipeline.BRONZE_SENSOR)
        }).pipe(Effect.provide(services))
      }),
    60_000
  )
})
