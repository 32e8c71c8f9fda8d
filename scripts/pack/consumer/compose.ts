/**
 * A service of a registry user, composed from the published packages' main entry points (no S3 store, no
 * embedded PostgreSQL): the Hacker News source fetches from the loopback fixture server (real captured
 * data) into bronze, and the bronze -> silver sensor hands what it wrote to the transform, whose
 * extraction runs in worker threads. Bronze, silver and the sensors' state are the in-memory doubles.
 * scripts/pack-check.sh type-checks it against the installed declarations and runs it with Node.
 */
import { MemoryBronze } from "@medallion/bronze"
import { BronzeSensor, InProcessLauncher, SensorRunner, SensorStore } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { ExtractPool, TransformJob } from "@medallion/workers"
import { FetchHttp, FetchWorker, HackerNewsSource } from "@medallion/workers/fetch"
import { FixtureServer } from "@medallion/workers/testing"
import { Duration, Effect, Layer } from "effect"

const SENSOR = "bronze-to-silver"

const transformSide = SensorRunner.layer([
  BronzeSensor.scan({ name: SENSOR, job: TransformJob.make(), settle: 0, minInterval: Duration.hours(1) })
]).pipe(Layer.provide(InProcessLauncher.layer({ concurrency: 2 })), Layer.provide(SensorStore.layerTest))

const program = Effect.gen(function* () {
  const server = yield* FixtureServer
  const fetched = yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url, maxItems: 3 }))
  const runner = yield* SensorRunner.SensorRunner
  const tick = yield* runner.tick(SENSOR)
  yield* runner.awaitIdle(SENSOR)
  const repo = yield* ItemRepo
  const transformed = yield* repo.listByStatus({ sourceType: "hn", transformStatus: "transformed", limit: 100 })
  console.log(
    `compose: fetched ${fetched.fetched} item(s) into bronze, the tick requested ${tick.requested.length} run(s), silver holds ${transformed.length} transformed item(s)`
  )
  if (fetched.fetched === 0 || transformed.length === 0) {
    return yield* Effect.fail(new Error("compose: nothing went from bronze to silver"))
  }
})

const layers = transformSide.pipe(
  Layer.provideMerge(Layer.mergeAll(MemoryBronze.layer, ItemRepo.layerTest, ExtractPool.layer({ threads: 1 }))),
  Layer.provideMerge(FetchHttp.layer({ addressPolicy: { allow: ["127.0.0.1/32"] }, perHostInterval: Duration.zero })),
  Layer.provideMerge(FixtureServer.layer())
)

await Effect.runPromise(program.pipe(Effect.provide(layers)))
