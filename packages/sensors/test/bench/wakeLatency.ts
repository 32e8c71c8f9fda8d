/**
 * Latency from a bronze write to the start of the run that processes it, with and without a
 * filesystem wake-up, on the real filesystem store (index mode: no settle window) with the in-memory
 * state store. Not part of the test suite:
 *
 *   node --conditions=@medallion/source packages/sensors/test/bench/wakeLatency.ts
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { BronzeWriter, FileSystemBronze, ItemKey } from "@medallion/bronze"
import { Deferred, Effect, Layer } from "effect"
import * as BronzeSensor from "../../src/BronzeSensor.ts"
import * as InProcessLauncher from "../../src/InProcessLauncher.ts"
import * as Job from "../../src/Job.ts"
import * as SensorRunner from "../../src/SensorRunner.ts"
import { SensorStore } from "../../src/SensorStore.ts"
import * as Wakeups from "../../src/Wakeups.ts"

const SAMPLES = 10
const INTERVAL = "2 seconds"

const measure = (withWake: boolean) =>
  Effect.gen(function* () {
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-wake-latency-"))
    const started = new Map<string, Deferred.Deferred<number>>()
    const job = Job.make({
      name: "latency",
      item: ItemKey,
      run: (items: ReadonlyArray<ItemKey>) =>
        Effect.gen(function* () {
          const now = performance.now()
          for (const item of items) {
            const done = started.get(item.externalId)
            if (done) yield* Deferred.succeed(done, now)
          }
          return { failures: [] }
        })
    })
    const sensor = BronzeSensor.index({
      name: "latency",
      job,
      minInterval: INTERVAL,
      wake: withWake ? Wakeups.fileSystem(root) : undefined
    })
    const bronze = FileSystemBronze.layerWith({ root, catalog: "index" })
    const services = SensorRunner.layer([sensor], { wakeFloor: "10 millis" }).pipe(
      Layer.provideMerge(InProcessLauncher.layer()),
      Layer.provideMerge(SensorStore.layerTest),
      Layer.provideMerge(bronze)
    )
    return yield* Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const runner = yield* SensorRunner.SensorRunner
      yield* runner.tick("latency")
      const latencies: Array<number> = []
      for (let i = 0; i < SAMPLES; i++) {
        // Writes land at arbitrary points of the polling interval.
        yield* Effect.sleep(Math.round(Math.random() * 1000) + 200)
        const done = yield* Deferred.make<number>()
        started.set(String(i), done)
        const before = performance.now()
        yield* writer.put(
          { sourceType: "bench", externalId: String(i), artifactType: "item", ext: "json" },
          new TextEncoder().encode("{}")
        )
        latencies.push((yield* Deferred.await(done)) - before)
      }
      latencies.sort((a, b) => a - b)
      return {
        mode: withWake ? "filesystem wake-up" : `polling only (interval ${INTERVAL})`,
        median: latencies[Math.floor(SAMPLES / 2)]!,
        max: latencies[SAMPLES - 1]!
      }
    }).pipe(Effect.provide(services), Effect.scoped)
  })

const program = Effect.gen(function* () {
  for (const withWake of [false, true]) {
    const result = yield* measure(withWake)
    console.log(`${result.mode}: median ${result.median.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (n=${SAMPLES})`)
  }
})

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
