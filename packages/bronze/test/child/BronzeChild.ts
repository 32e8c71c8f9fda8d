/**
 * A separate process that writes bronze, for the crash and multi-process tests (run with plain
 * `node`, which strips the types). Modes:
 *   write-loop ROOT PREFIX      puts artifacts forever in index mode, printing "put N" after each
 *   stream-stall ROOT           streams half a media file, prints "streaming", then waits forever
 *   append-count ROOT PREFIX N  puts N artifacts in index mode, then exits
 *   append-huge ROOT N          appends N index lines in one write (to be killed mid-append)
 *   stream-big ROOT MB          streams MB megabytes of fresh 1 MB chunks, prints peak memory as JSON
 */
import { Effect, Layer, Stream } from "effect"
import { BronzeWriter, FileSystemBronze } from "../../src/index.ts"
import * as CatalogIndex from "../../src/CatalogIndex.ts"
import { contentFor, keyFor } from "./CrashData.ts"

const [mode, root, arg, count] = process.argv.slice(2) as [string, string, string | undefined, string | undefined]
const store = FileSystemBronze.layerWith({ root, catalog: "index" })

const print = (line: string) => Effect.sync(() => process.stdout.write(line + "\n"))

const writeLoop = (prefix: string, limit: number) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    for (let i = 0; i < limit; i++) {
      const key = keyFor(prefix, i)
      const body = contentFor(key)
      if (i % 4 === 3) {
        const chunks: Array<Uint8Array> = []
        for (let offset = 0; offset < body.length; offset += 4096) chunks.push(body.subarray(offset, offset + 4096))
        yield* writer.putStream(key, Stream.fromIterable(chunks))
      } else {
        yield* writer.put(key, body)
      }
      yield* print(`put ${i}`)
    }
  })

const streamStall = Effect.gen(function* () {
  const writer = yield* BronzeWriter
  const half = Stream.fromIterable(Array.from({ length: 64 }, () => new Uint8Array(16 * 1024).fill(7)))
  // A stalled stream holds no handle of its own: a timer keeps the process alive (a live writer) until killed.
  setInterval(() => {}, 60_000)
  const stall = Stream.fromEffect(print("streaming")).pipe(Stream.flatMap(() => Stream.never))
  yield* writer.putStream(keyFor("stall", 0), Stream.concat(half, stall))
})

const appendHuge = (n: number) => {
  const lines: Array<string> = []
  for (let i = 0; i < n; i++) {
    const key = keyFor("bulk", i)
    lines.push(
      CatalogIndex.encodeIndexLine({
        key,
        size: 1,
        sha256: "0".repeat(64),
        writtenAt: i,
        location: `${key.sourceType}/${key.externalId}/${key.artifactType}.${key.ext}`
      })
    )
  }
  return CatalogIndex.appendIndexLines(`${root}/${CatalogIndex.INDEX_FILE_NAME}`, lines.join(""))
}

const streamBig = (megabytes: number) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    let peakRss = 0
    let peakHeapAndBuffers = 0
    const sample = () => {
      const usage = process.memoryUsage()
      peakRss = Math.max(peakRss, usage.rss)
      peakHeapAndBuffers = Math.max(peakHeapAndBuffers, usage.heapUsed + usage.arrayBuffers)
    }
    // One element per chunk, so the source itself holds one megabyte at a time.
    const body = Stream.range(1, megabytes, 1).pipe(
      Stream.map((i) => {
        sample()
        return new Uint8Array(1024 * 1024).fill(i % 251)
      })
    )
    const result = yield* writer.putStream(
      { sourceType: "media", externalId: "big", artifactType: "audio", ext: "bin" },
      body
    )
    sample()
    yield* print(JSON.stringify({ size: result.size, peakRss, peakHeapAndBuffers }))
  })

const program =
  mode === "write-loop"
    ? writeLoop(arg!, Number.MAX_SAFE_INTEGER)
    : mode === "append-count"
      ? writeLoop(arg!, Number(count))
      : mode === "stream-stall"
        ? streamStall
        : mode === "append-huge"
          ? Effect.asVoid(appendHuge(Number(arg)))
          : streamBig(Number(arg))

Effect.runPromise(program.pipe(Effect.provide(Layer.fresh(store)))).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(String(error) + "\n")
    process.exit(1)
  }
)
