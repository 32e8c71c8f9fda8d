/**
 * Poison keys on the real hand-off (SQL store on a real PostgreSQL, in-process launcher, filesystem
 * bronze): a key the database cannot record is quarantined as a failed item with its reason, and the
 * rest of the tick goes on.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, layer } from "@effect/vitest"
import { BronzeWriter, encodeIndexLine, FileSystemBronze, INDEX_FILE_NAME, ItemKey, location } from "@medallion/bronze"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Option } from "effect"
import * as BronzeSensor from "../src/BronzeSensor.ts"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as Job from "../src/Job.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import { SensorStore } from "../src/SensorStore.ts"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"

const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-quarantine-"))
const processed: Array<string> = []

const job = Job.make({
  name: "record",
  item: ItemKey,
  run: (items: ReadonlyArray<ItemKey>) =>
    Effect.sync(() => {
      processed.push(...items.map((item) => item.externalId))
      return Job.succeeded
    })
})

const sensor = BronzeSensor.scan({ name: "bronze", job, settle: 0, reconcileEvery: null, batchSize: 10 })

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))
const Harness = SensorRunner.layer([sensor], { owner: "quarantine-test" }).pipe(
  Layer.provideMerge(InProcessLauncher.layer({ retryBase: "10 millis", maxAttempts: 2 })),
  Layer.provideMerge(SqlSensorStore.layer),
  Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" })),
  Layer.provideMerge(Database)
)

/** Writes an artifact the way another process would: straight into the folder, bypassing the writer. */
const foreign = (segment: string, body: string) => {
  Fs.mkdirSync(Path.join(root, "hn", segment), { recursive: true })
  Fs.writeFileSync(Path.join(root, "hn", segment, "item.json"), body)
}

describe("quarantine of keys the hand-off cannot record", () => {
  layer(Harness, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("an id with U+0000 written into the folder by another process: the other items go on", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const runner = yield* SensorRunner.SensorRunner
        const store = yield* SensorStore
        // `~%00` is the canonical segment of the id "\u0000", which PostgreSQL's text and jsonb refuse.
        foreign("~%00", '{"id":0}')
        yield* writer.put(
          { sourceType: "hn", externalId: "1", artifactType: "item", ext: "json" },
          new TextEncoder().encode('{"id":1}')
        )

        // The runner ticks on its own as soon as it owns the sensor: look at what the ticks recorded.
        yield* runner.tick("bronze")
        yield* runner.awaitIdle("bronze")
        assert.deepStrictEqual(processed, ["1"])
        const ticks = yield* store.recentTicks("bronze", 10)
        assert.deepStrictEqual(
          ticks.filter((tick) => tick.status === "failed").map((tick) => tick.reason),
          []
        )
        const quarantined = ticks.flatMap((tick) => tick.runKeys).filter((key) => key.startsWith("quarantine:"))
        assert.strictEqual(new Set(quarantined).size, 1)
        const run = Option.getOrThrow(yield* store.getRun("bronze", quarantined[0]!))
        assert.strictEqual(run.status, "failed")
        assert.deepStrictEqual(
          run.failures.map((failure) => failure.item),
          ['{"sourceType":"hn","externalId":"\\u0000"}']
        )
        assert.match(run.failures[0]!.reason, /U\+0000 \(NUL\): PostgreSQL text and jsonb cannot store it/)
        assert.match(run.error ?? "", /1 item\(s\) quarantined, not run; first: .*U\+0000/)

        // A retry leaves it alone (running it again cannot help); the next tick has nothing to do.
        assert.deepStrictEqual(yield* runner.retryFailed("bronze"), [])
        const next = yield* runner.tick("bronze")
        assert.strictEqual(next.status, "skipped", next.reason ?? "")
      })
    )

    it.effect("a hashed folder another process made without its item record: quarantined, the rest goes on", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const runner = yield* SensorRunner.SensorRunner
        const store = yield* SensorStore
        processed.length = 0
        // Without `_item.json` no id can be named for it; before, every scan tick failed on it.
        foreign(`~~${"a".repeat(64)}`, '{"id":"lost"}')
        yield* writer.put(
          { sourceType: "hn", externalId: "2", artifactType: "item", ext: "json" },
          new TextEncoder().encode('{"id":2}')
        )
        yield* runner.tick("bronze")
        yield* runner.awaitIdle("bronze")
        assert.deepStrictEqual(processed, ["2"])
        const ticks = yield* store.recentTicks("bronze", 20)
        assert.deepStrictEqual(
          ticks.filter((tick) => tick.status === "failed").map((tick) => tick.reason),
          []
        )
        const runs = yield* Effect.forEach(
          [...new Set(ticks.flatMap((tick) => tick.runKeys).filter((key) => key.startsWith("quarantine:")))],
          (key) => Effect.map(store.getRun("bronze", key), Option.getOrThrow)
        )
        const failures = runs.flatMap((run) => run.failures)
        assert.deepStrictEqual(
          failures.find((failure) => failure.item === `hn/~~${"a".repeat(64)}/item.json`)?.reason,
          "no item id can be named for it: the hashed item folder has no _item.json"
        )
      })
    )
  })
})

const indexRoot = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-quarantine-index-"))
const indexProcessed: Array<string> = []
const IndexHarness = SensorRunner.layer(
  [
    BronzeSensor.index({
      name: "bronze-index",
      job: Job.make({
        name: "record",
        item: ItemKey,
        run: (items: ReadonlyArray<ItemKey>) =>
          Effect.sync(() => (indexProcessed.push(...items.map((item) => item.externalId)), Job.succeeded))
      }),
      batchSize: 10
    })
  ],
  { owner: "quarantine-index-test" }
).pipe(
  Layer.provideMerge(InProcessLauncher.layer({ retryBase: "10 millis", maxAttempts: 2 })),
  Layer.provideMerge(SqlSensorStore.layer),
  Layer.provideMerge(FileSystemBronze.layerWith({ root: indexRoot, catalog: "index" })),
  Layer.provideMerge(Database)
)

describe("quarantine in index mode", () => {
  layer(IndexHarness, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("an index line of an id with U+0000 (written before the rule): quarantined, the next line goes on", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const runner = yield* SensorRunner.SensorRunner
        const store = yield* SensorStore
        const good = yield* writer.put(
          { sourceType: "hn", externalId: "3", artifactType: "item", ext: "json" },
          new TextEncoder().encode('{"id":3}')
        )
        const nulKey = { sourceType: "hn", externalId: "\u0000", artifactType: "item", ext: "json" }
        Fs.appendFileSync(
          Path.join(indexRoot, INDEX_FILE_NAME),
          encodeIndexLine({ ...good, key: nulKey, location: location(nulKey) })
        )
        yield* writer.put(
          { sourceType: "hn", externalId: "4", artifactType: "item", ext: "json" },
          new TextEncoder().encode('{"id":4}')
        )
        yield* runner.tick("bronze-index")
        yield* runner.awaitIdle("bronze-index")
        assert.deepStrictEqual(indexProcessed.toSorted(), ["3", "4"])
        const ticks = yield* store.recentTicks("bronze-index", 10)
        assert.deepStrictEqual(
          ticks.filter((tick) => tick.status === "failed").map((tick) => tick.reason),
          []
        )
        const [key] = [...new Set(ticks.flatMap((tick) => tick.runKeys).filter((k) => k.startsWith("quarantine:")))]
        const run = Option.getOrThrow(yield* store.getRun("bronze-index", key!))
        assert.deepStrictEqual(
          run.failures.map((failure) => failure.item),
          ['{"sourceType":"hn","externalId":"\\u0000"}']
        )
      })
    )
  })
})
