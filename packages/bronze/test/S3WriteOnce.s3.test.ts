/**
 * Write-once on S3 is the server's doing: two stores (two clients, as two processes would be) race for
 * the same keys, small and large, and exactly one wins. Against a server that ignored
 * `If-None-Match: *` both would report `written`. Also: the index segments that concurrent writers
 * create are gap-free and hold every line once.
 */
import { createHash } from "node:crypto"
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Stream } from "effect"
import { type ArtifactInfo, BronzeReader, BronzeWriter, type CatalogMode } from "../src/index.ts"
import { S3Bronze } from "../src/s3.ts"
import { bytesOf, key } from "./BronzeContract.ts"
import { listKeys, storeOptions, testBucket } from "./S3TestBucket.ts"

/** Two independent stores on one bucket and prefix. */
const twoStores = (bucket: string, catalog: CatalogMode, extra: Partial<S3Bronze.S3BronzeOptions> = {}) =>
  Effect.gen(function* () {
    const options = storeOptions(bucket, catalog, extra)
    const build = Layer.build(S3Bronze.layerWith(options))
    const a = yield* build
    const b = yield* build
    return {
      options,
      writers: [Context.get(a, BronzeWriter), Context.get(b, BronzeWriter)] as const,
      reader: Context.get(a, BronzeReader)
    }
  })

/** `size` bytes in 64 KB chunks, a pure function of `seed`, and their sha256. */
const generated = (seed: number, size: number) => {
  const chunkSize = 64 * 1024
  const chunk = (i: number) => {
    const bytes = new Uint8Array(Math.min(chunkSize, size - i * chunkSize))
    for (let j = 0; j < bytes.length; j++) bytes[j] = (seed * 31 + i * 7 + j) & 0xff
    return bytes
  }
  const count = Math.ceil(size / chunkSize)
  const hash = createHash("sha256")
  for (let i = 0; i < count; i++) hash.update(chunk(i))
  return {
    sha256: hash.digest("hex"),
    stream: Stream.fromIterable(Array.from({ length: count }, (_, i) => i)).pipe(Stream.map(chunk))
  }
}

const sha256OfStream = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(
    Stream.runFold(
      stream,
      () => createHash("sha256"),
      (hash, chunk) => hash.update(chunk)
    ),
    (hash) => hash.digest("hex")
  )

describe("S3Bronze write-once", () => {
  it.live("the server refuses a conditional put over an existing key (the store relies on it)", () =>
    Effect.gen(function* () {
      const { bucket, client } = yield* testBucket
      yield* Effect.promise(() =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "first", IfNoneMatch: "*" }))
      )
      const status = yield* Effect.promise(() =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "second", IfNoneMatch: "*" })).then(
          () => 200,
          (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode
        )
      )
      assert.strictEqual(status, 412)
      const head = yield* Effect.promise(() => client.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" })))
      assert.strictEqual(head.ContentLength, "first".length)
    })
  )

  it.live("two stores racing with different bytes for 20 keys: exactly one wins each, the other conflicts", () =>
    Effect.gen(function* () {
      const { bucket } = yield* testBucket
      const { reader, writers } = yield* twoStores(bucket, "scan")
      // putStream goes straight to the conditional put, so only the server can tell the writers apart.
      const results = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => `race-${i}`),
        (id) =>
          Effect.all(
            writers.map((writer, w) => Effect.result(writer.putStream(key(id), Stream.make(bytesOf(`${id} by ${w}`))))),
            { concurrency: "unbounded" }
          ).pipe(Effect.map((pair) => ({ id, pair }))),
        { concurrency: 5 }
      )
      for (const { id, pair } of results) {
        const winners = pair.flatMap((r, w) => (r._tag === "Success" ? [w] : []))
        assert.strictEqual(winners.length, 1, `${id}: ${JSON.stringify(pair.map((r) => r._tag))}`)
        const winner = winners[0]!
        const loser = pair[1 - winner]!
        assert.strictEqual(loser._tag, "Failure")
        if (loser._tag === "Failure") assert.strictEqual(loser.failure._tag, "ArtifactConflict")
        const stored = new TextDecoder().decode(yield* reader.get(key(id)))
        assert.strictEqual(stored, `${id} by ${winner}`)
      }
    })
  )

  it.live("a 20 MB stream (4 parts) from two stores: one wins, the other conflicts, the loser's blob is gone", () =>
    Effect.gen(function* () {
      const { bucket, client } = yield* testBucket
      const size = 20 * 1024 * 1024
      const { options, reader, writers } = yield* twoStores(bucket, "index", { partSize: 5 * 1024 * 1024 })
      const bodies = [generated(1, size), generated(2, size)]
      const media = key("episode-1", "audio", "mp3")
      const results = yield* Effect.all(
        writers.map((writer, w) => Effect.result(writer.putStream(media, bodies[w]!.stream))),
        { concurrency: "unbounded" }
      )
      const winners = results.flatMap((r, w) => (r._tag === "Success" ? [w] : []))
      assert.strictEqual(winners.length, 1)
      const winner = winners[0]!
      const loser = results[1 - winner]!
      assert.isTrue(loser._tag === "Failure" && loser.failure._tag === "ArtifactConflict")
      const info = Option.getOrThrow(yield* reader.stat(media))
      assert.strictEqual(info.size, size)
      assert.strictEqual(info.sha256, bodies[winner]!.sha256)
      assert.strictEqual(yield* sha256OfStream(reader.stream(media)), bodies[winner]!.sha256)
      const blobs = yield* Effect.promise(() => listKeys(client, bucket, `${options.prefix}_blobs/`))
      assert.strictEqual(blobs.length, 1)
      // The same bytes again: unchanged, and its blob is removed too.
      const again = yield* writers[1 - winner]!.putStream(media, bodies[winner]!.stream)
      assert.strictEqual(again.outcome, "unchanged")
      assert.strictEqual((yield* Effect.promise(() => listKeys(client, bucket, `${options.prefix}_blobs/`))).length, 1)
      const tail = yield* reader.tailIndex({ offset: 0, maxEntries: 10 })
      assert.deepStrictEqual(
        tail.entries.map((e) => e.info.location),
        ["hn/episode-1/audio.mp3"]
      )
    })
  )

  it.live("index segments written by two concurrent stores are gap-free and hold every line exactly once", () =>
    Effect.gen(function* () {
      const { bucket, client } = yield* testBucket
      const { options, reader, writers } = yield* twoStores(bucket, "index")
      const perWriter = 30
      yield* Effect.forEach(
        writers,
        (writer, w) =>
          Effect.forEach(
            Array.from({ length: perWriter }, (_, i) => `w${w}-${i}`),
            (id) => writer.put(key(id), bytesOf(id)),
            { concurrency: 10, discard: true }
          ),
        { concurrency: "unbounded", discard: true }
      )
      const segments = yield* Effect.promise(() => listKeys(client, bucket, `${options.prefix}_index/`))
      const sequences = segments.map((k) => Number(/(\d{12})\.jsonl$/.exec(k)![1]))
      assert.deepStrictEqual(
        sequences,
        sequences.map((_, i) => i + 1)
      )
      // Group commit: concurrent puts share segments.
      assert.isBelow(sequences.length, 2 * perWriter)
      const lines: Array<ArtifactInfo> = []
      let cursor = { offset: 0, indexId: undefined as string | undefined }
      while (true) {
        const page = yield* reader.tailIndex({ ...cursor, maxEntries: 7 })
        lines.push(...page.entries.map((e) => e.info))
        if (page.entries.length === 0) break
        cursor = { offset: page.nextOffset, indexId: page.indexId }
      }
      const locations = lines.map((l) => l.location)
      assert.strictEqual(locations.length, 2 * perWriter)
      assert.strictEqual(new Set(locations).size, 2 * perWriter)
    })
  )
})
