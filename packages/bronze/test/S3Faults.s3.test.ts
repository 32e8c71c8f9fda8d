/**
 * Transient failures between the store and the S3 server, made by a TCP proxy the test controls: writes
 * back off and complete once the server is reachable again, and a write whose retries run out fails
 * with a `BronzeIoError` while nothing of it is visible. An artifact stored without its index line (the
 * process died, or the segment write failed) is not indexed by a repeated put, only by `reconcile`.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, Fiber, Layer, Option, Stream } from "effect"
import { BronzeMaintenance, BronzeReader, BronzeWriter, type CatalogMode } from "../src/index.ts"
import { S3Bronze, type S3RetryOptions } from "../src/s3.ts"
import { bytesOf, key } from "./BronzeContract.ts"
import { directClient, listKeys, listUploads, s3Server, storeOptions, testBucket } from "./S3TestBucket.ts"
import { tcpProxy } from "./TcpProxy.ts"

const MiB = 1024 * 1024

/** `size` bytes of a repeating pattern, in 64 KB chunks. */
const media = (size: number) => {
  const all = new Uint8Array(size)
  for (let i = 0; i < size; i++) all[i] = (i * 13) & 0xff
  const chunks = Array.from({ length: Math.ceil(size / 65536) }, (_, i) => all.subarray(i * 65536, (i + 1) * 65536))
  return { sha256: createHash("sha256").update(all).digest("hex"), stream: Stream.fromIterable(chunks) }
}

const storeVia = (endpoint: string, bucket: string, catalog: CatalogMode, retry: S3RetryOptions) =>
  Effect.gen(function* () {
    const options = { ...storeOptions(bucket, catalog, { partSize: 5 * MiB, retry }), endpoint }
    const context = yield* Layer.build(S3Bronze.layerWith(options))
    return {
      prefix: options.prefix,
      writer: Context.get(context, BronzeWriter),
      reader: Context.get(context, BronzeReader)
    }
  })

describe("S3Bronze under transient failures", () => {
  it.live(
    "connections refused and cut mid-upload: the writes back off, complete afterwards, nothing partial is visible",
    () =>
      Effect.gen(function* () {
        const { bucket } = yield* testBucket
        const direct = directClient()
        const proxy = yield* tcpProxy(s3Server().endpoint)
        const store = yield* storeVia(proxy.endpoint, bucket, "index", {
          maxAttempts: 30,
          baseDelayMs: 20,
          maxDelayMs: 300
        })
        const big = media(12 * MiB)
        const large = key("episode", "audio", "mp3")
        const uploading = yield* Effect.forkChild(store.writer.putStream(large, big.stream))
        // Cut the connections once the upload is well into its first part.
        yield* Effect.promise(() => proxy.forwardedAtLeast(3 * MiB))
        proxy.refuse()
        const small = yield* Effect.forkChild(
          Effect.forEach(
            Array.from({ length: 5 }, (_, i) => `${i}`),
            (id) => store.writer.put(key(id), bytesOf(`item ${id}`)),
            { concurrency: "unbounded" }
          )
        )
        yield* Effect.promise(() => proxy.refusedAtLeast(10))
        const visible = yield* Effect.promise(() => listKeys(direct, bucket, store.prefix))
        assert.deepStrictEqual(visible, [], "nothing is visible while the server is unreachable")
        proxy.forward()
        const written = yield* Fiber.join(small)
        assert.deepStrictEqual(
          written.map((r) => r.outcome),
          ["written", "written", "written", "written", "written"]
        )
        const result = yield* Fiber.join(uploading)
        assert.strictEqual(result.outcome, "written")
        assert.strictEqual(result.sha256, big.sha256)
        const back = yield* store.reader.get(large)
        assert.strictEqual(createHash("sha256").update(back).digest("hex"), big.sha256)
        for (let i = 0; i < 5; i++) {
          assert.strictEqual(new TextDecoder().decode(yield* store.reader.get(key(`${i}`))), `item ${i}`)
        }
        const tail = yield* store.reader.tailIndex({ offset: 0, maxEntries: 100 })
        assert.strictEqual(new Set(tail.entries.map((e) => e.info.location)).size, 6)
        direct.destroy()
      }),
    120_000
  )

  it.live("retries exhausted: BronzeIoError with operation and location, and nothing visible", () =>
    Effect.gen(function* () {
      const { bucket } = yield* testBucket
      const direct = directClient()
      const proxy = yield* tcpProxy(s3Server().endpoint)
      const store = yield* storeVia(proxy.endpoint, bucket, "scan", { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 })
      proxy.refuse()
      const error = yield* Effect.flip(store.writer.putStream(key("lost"), Stream.make(bytesOf("never stored"))))
      assert.strictEqual(error._tag, "BronzeIoError")
      if (error._tag === "BronzeIoError") {
        assert.strictEqual(error.operation, "put")
        assert.strictEqual(error.location, "hn/lost/item.json")
      }
      // A large stream whose connection is cut after its upload began: the upload never completes.
      proxy.forward()
      const big = media(8 * MiB)
      const failing = yield* Effect.forkChild(
        Effect.flip(store.writer.putStream(key("big", "audio", "mp3"), big.stream))
      )
      yield* Effect.promise(() => proxy.forwardedAtLeast(2 * MiB))
      proxy.refuse()
      const bigError = yield* Fiber.join(failing)
      assert.strictEqual(bigError._tag, "BronzeIoError")
      if (bigError._tag === "BronzeIoError") assert.strictEqual(bigError.location, "hn/big/audio.mp3")
      assert.deepStrictEqual(yield* Effect.promise(() => listKeys(direct, bucket, store.prefix)), [])
      // The abort could not reach the server either: reconcile (here directly, grace 0) removes the upload.
      const pending = yield* Effect.promise(() => listUploads(direct, bucket, store.prefix))
      assert.strictEqual(pending.length, 1)
      const maintenance = yield* Effect.provide(
        BronzeMaintenance,
        S3Bronze.layerWith({ ...storeOptions(bucket, "scan"), prefix: store.prefix, tempGraceMs: 0 })
      )
      const report = yield* maintenance.reconcile()
      assert.strictEqual(report.removedTempFiles, 1)
      assert.deepStrictEqual(yield* Effect.promise(() => listUploads(direct, bucket, store.prefix)), [])
      const reader = yield* Effect.provide(
        BronzeReader,
        S3Bronze.layerReaderWith({ ...storeOptions(bucket, "scan"), prefix: store.prefix })
      )
      assert.isTrue(Option.isNone(yield* reader.stat(key("lost"))))
      direct.destroy()
    })
  )

  it.live(
    "an artifact whose index line was lost: a repeated put answers unchanged and adds no line, reconcile does",
    () =>
      Effect.gen(function* () {
        const { bucket } = yield* testBucket
        const indexed = storeOptions(bucket, "index")
        const { writer, reader, maintenance } = yield* Effect.gen(function* () {
          const context = yield* Layer.build(S3Bronze.layerWith(indexed))
          return {
            writer: Context.get(context, BronzeWriter),
            reader: Context.get(context, BronzeReader),
            maintenance: Context.get(context, BronzeMaintenance)
          }
        })
        yield* writer.put(key("kept"), bytesOf("kept"))
        // The object without its line: what a put leaves when it dies between the two (a scan-mode store
        // writes the same object and no line).
        const bare = yield* Effect.provide(BronzeWriter, S3Bronze.layerWith({ ...indexed, catalog: "scan" }))
        assert.strictEqual((yield* bare.put(key("orphan"), bytesOf("orphan"))).outcome, "written")
        const locations = Effect.map(reader.tailIndex({ offset: 0, maxEntries: 100 }), (tail) =>
          tail.entries.map((e) => e.info.location).sort()
        )
        assert.deepStrictEqual(yield* locations, ["hn/kept/item.json"])
        const again = yield* writer.put(key("orphan"), bytesOf("orphan"))
        assert.strictEqual(again.outcome, "unchanged")
        assert.deepStrictEqual(yield* locations, ["hn/kept/item.json"], "a repeated put writes no line")
        // As the fetch daemon's upkeep calls it: the artifacts of the last day.
        const now = yield* Clock.currentTimeMillis
        const report = yield* maintenance.reconcile({ since: now - 24 * 60 * 60 * 1000 })
        assert.strictEqual(report.restoredIndexLines, 1)
        assert.deepStrictEqual(yield* locations, ["hn/kept/item.json", "hn/orphan/item.json"])
        assert.strictEqual((yield* maintenance.reconcile()).restoredIndexLines, 0)
      })
  )
})
