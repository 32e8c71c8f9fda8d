/**
 * The catalog index on S3, which has no append: an ordered series of immutable segment objects
 * `_index/{sequence, 12 digits}.jsonl`, each holding whole lines in the format of `_index.jsonl`.
 *
 * - A segment is created with a conditional put. A 412 means another writer took that sequence
 *   number: the lines go to the next one. A writer only tries sequence `n` once `n - 1` exists, so the
 *   series is gap-free and segments appear in order.
 * - Lines of concurrent puts are batched into one segment (group commit): a single committer fiber
 *   takes every line waiting while the previous segment was being written, so concurrent writers share
 *   segments; each put returns only once the segment holding its line exists.
 * - The cursor is `(segment, byte offset)` packed into the one integer `offset` of `tailIndex`:
 *   `segment * 2^24 + byte`. The end of a segment is written as the start of the next, so a cursor
 *   never needs to read a finished segment again. `indexId` names the first segment (its ETag and
 *   time), so an index that was deleted and written anew is noticed.
 */
import { createHash } from "node:crypto"
import { Deferred, Effect, Exit, Option, Queue, type Scope } from "effect"
import type { ArtifactInfo } from "./ArtifactKey.ts"
import type { BronzeIoError } from "./BronzeErrors.ts"
import { ABSENT_INDEX_ID, type IndexEntry, type IndexPage, type TailIndexOptions } from "./Catalog.ts"
import * as CatalogIndex from "./CatalogIndex.ts"
import type { S3ObjectStore } from "./S3ObjectStore.ts"

/** Bytes addressable inside one segment; segments are kept far below it. */
const SEGMENT_SPAN = 2 ** 24
/** A batch is cut into segments of at most this many bytes. */
const MAX_SEGMENT_BYTES = 1024 * 1024

const INDEX_FOLDER = "_index/"

const segmentLocation = (sequence: number): string => `${INDEX_FOLDER}${String(sequence).padStart(12, "0")}.jsonl`

const packOffset = (segment: number, byte: number): number => segment * SEGMENT_SPAN + byte

const unpackOffset = (offset: number): { readonly segment: number; readonly byte: number } => ({
  segment: Math.floor(offset / SEGMENT_SPAN),
  byte: offset % SEGMENT_SPAN
})

const utf8 = new TextEncoder()

/** Cuts encoded lines into segment bodies of at most `MAX_SEGMENT_BYTES` (a line is never split). */
const cut = <A extends { readonly text: string }>(items: ReadonlyArray<A>): Array<Array<A>> => {
  const batches: Array<Array<A>> = []
  let current: Array<A> = []
  let bytes = 0
  for (const item of items) {
    const size = Buffer.byteLength(item.text)
    if (current.length > 0 && bytes + size > MAX_SEGMENT_BYTES) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}

export const make = (store: S3ObjectStore, prefix: string) => {
  const keyOf = (sequence: number) => prefix + segmentLocation(sequence)
  const exists = (sequence: number) => Effect.map(store.head(keyOf(sequence), segmentLocation(sequence)), Option.isSome)

  /**
   * The first free sequence number at or after `from`, where `from - 1` is known to exist (or `from`
   * is 1): gallops forward, then bisects, so a writer far behind needs O(log n) requests.
   */
  const firstFree = (from: number): Effect.Effect<number, BronzeIoError> =>
    Effect.gen(function* () {
      if (!(yield* exists(from))) return from
      let known = from
      let step = 1
      let probe = from + step
      while (yield* exists(probe)) {
        known = probe
        step *= 2
        probe = known + step
      }
      // Invariant: `known` exists, `probe` does not.
      while (probe - known > 1) {
        const middle = known + Math.floor((probe - known) / 2)
        if (yield* exists(middle)) known = middle
        else probe = middle
      }
      return probe
    })

  /** Where this process expects the next segment; other writers may be ahead of it. */
  let next: number | undefined

  const writeSegment = (text: string): Effect.Effect<number, BronzeIoError> =>
    Effect.gen(function* () {
      const body = utf8.encode(text)
      let sequence = next ?? (yield* firstFree(1))
      while (true) {
        if (yield* store.putIfAbsent(keyOf(sequence), segmentLocation(sequence), body, {})) {
          next = sequence + 1
          return sequence
        }
        sequence = yield* firstFree(sequence + 1)
      }
    })

  interface Pending {
    readonly text: string
    readonly done: Deferred.Deferred<void, BronzeIoError>
  }

  /** Starts the committer fiber in the scope; returns `append`, which resolves once its lines are durable. */
  const appender: Effect.Effect<
    { readonly append: (lines: string) => Effect.Effect<void, BronzeIoError> },
    never,
    Scope.Scope
  > = Effect.gen(function* () {
    const queue = yield* Queue.unbounded<Pending>()
    const commit = Effect.gen(function* () {
      const waiting = yield* Queue.takeAll(queue)
      for (const batch of cut(waiting)) {
        const exit = yield* Effect.exit(writeSegment(batch.map((p) => p.text).join("")))
        for (const pending of batch) yield* Deferred.done(pending.done, Exit.asVoid(exit))
      }
    })
    yield* Effect.forkScoped(Effect.forever(commit))
    return {
      append: (lines: string) =>
        lines.length === 0
          ? Effect.void
          : Effect.gen(function* () {
              const done = yield* Deferred.make<void, BronzeIoError>()
              yield* Queue.offer(queue, { text: lines, done })
              return yield* Deferred.await(done)
            })
    }
  })

  /** Identity of the index: its first segment's ETag and time, or `absent`. */
  const identity: Effect.Effect<string, BronzeIoError> = Effect.map(
    store.head(keyOf(1), segmentLocation(1)),
    Option.match({
      onNone: () => ABSENT_INDEX_ID,
      onSome: (head) =>
        "s3." + createHash("sha256").update(`${head.etag}|${head.lastModified}`).digest("hex").slice(0, 16)
    })
  )

  const tail = (options: TailIndexOptions): Effect.Effect<IndexPage, BronzeIoError> =>
    Effect.gen(function* () {
      const indexId = yield* identity
      if (indexId === ABSENT_INDEX_ID) {
        const replaced = options.offset > 0 || (options.indexId !== undefined && options.indexId !== ABSENT_INDEX_ID)
        return { indexId, entries: [], nextOffset: 0, replaced }
      }
      const otherIndex =
        options.indexId !== undefined && options.indexId !== ABSENT_INDEX_ID && options.indexId !== indexId
      const fromStart = otherIndex || options.indexId === ABSENT_INDEX_ID
      const page = yield* readFrom(fromStart ? 0 : options.offset, options.maxEntries)
      if (Option.isSome(page)) return { indexId, ...page.value, replaced: otherIndex }
      // The cursor points past the end: not this index's position.
      const restarted = yield* readFrom(0, options.maxEntries)
      return {
        indexId,
        ...Option.getOrElse(restarted, () => ({ entries: [], nextOffset: 0 })),
        replaced: true
      }
    })

  /** Entries from a packed offset; `None` when the offset lies beyond what the index holds. */
  const readFrom = (
    offset: number,
    maxEntries: number
  ): Effect.Effect<
    Option.Option<{ readonly entries: ReadonlyArray<IndexEntry>; readonly nextOffset: number }>,
    BronzeIoError
  > =>
    Effect.gen(function* () {
      let { segment, byte } = unpackOffset(offset)
      if (segment === 0) {
        segment = 1
        byte = 0
      }
      const entries: Array<IndexEntry> = []
      let position = packOffset(segment, byte)
      let first = true
      while (entries.length < maxEntries) {
        const body = yield* store.getBytes(keyOf(segment), segmentLocation(segment))
        if (Option.isNone(body)) {
          if (first && byte > 0) return Option.none()
          break
        }
        const bytes = body.value
        if (first && byte > bytes.length) return Option.none()
        first = false
        const end = packOffset(segment + 1, 0)
        const parsed = CatalogIndex.parseIndexBytes(
          bytes.subarray(byte),
          packOffset(segment, byte),
          maxEntries - entries.length
        )
        // The end of a segment is the start of the next.
        const segmentEnd = packOffset(segment, bytes.length)
        for (const entry of parsed.entries) {
          entries.push(entry.endOffset === segmentEnd ? { ...entry, endOffset: end } : entry)
        }
        if (byte + parsed.consumed < bytes.length) {
          position = packOffset(segment, byte + parsed.consumed)
          break
        }
        position = end
        segment += 1
        byte = 0
      }
      return Option.some({ entries, nextOffset: position })
    })

  /** Every entry, in order, read in pages (bounded memory) and handed to `onEntry`. */
  const forEachEntry = (onEntry: (info: ArtifactInfo) => void): Effect.Effect<void, BronzeIoError> =>
    Effect.gen(function* () {
      let offset = 0
      while (true) {
        const page = yield* readFrom(offset, 10_000)
        if (Option.isNone(page)) return
        for (const entry of page.value.entries) onEntry(entry.info)
        if (page.value.nextOffset === offset) return
        offset = page.value.nextOffset
      }
    })

  return { appender, tail, forEachEntry }
}
