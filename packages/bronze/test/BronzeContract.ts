/**
 * The behaviour every bronze store must have, run against the filesystem store and the in-memory one.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  type ArtifactInfo,
  type ArtifactKey,
  BronzeMaintenance,
  BronzeReader,
  BronzeWriter,
  type CatalogMode,
  type ScannedArtifact
} from "../src/index.ts"
import { HOSTILE_IDS, REFUSED_IDS } from "./HostileIds.ts"

export type StoreLayer = Layer.Layer<BronzeWriter | BronzeReader | BronzeMaintenance, unknown>

/** A Hacker News item's artifact key (the stores' tests use it too). */
export const key = (externalId: string, artifactType = "item", ext = "json"): ArtifactKey => ({
  sourceType: "hn",
  externalId,
  artifactType,
  ext
})

export const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text)
const textOf = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

const sha256Hex = async (bytes: Uint8Array): Promise<string> =>
  Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("hex")

/** Pages through `scan` with a small limit until complete. */
const scanAll = (limit: number) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const all: Array<ScannedArtifact> = []
    let after: { mtimeMs: number; location: string } | undefined
    for (let pages = 0; pages < 1000; pages++) {
      const page = yield* reader.scan({ after, limit })
      all.push(...page.entries)
      const last = page.entries.at(-1)
      if (last !== undefined) after = { mtimeMs: last.mtimeMs, location: last.location }
      if (page.complete) return all
    }
    return assert.fail("scan never completed")
  })

/** Pages through `changes` in the configured mode until complete. */
const changesAll = (limit: number) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const all: Array<ArtifactInfo> = []
    let cursor = undefined as Parameters<typeof reader.changes>[0]["cursor"]
    for (let pages = 0; pages < 1000; pages++) {
      const page = yield* reader.changes({ cursor, limit })
      all.push(...page.entries)
      cursor = page.cursor
      if (page.complete) return { all, cursor }
    }
    return assert.fail("changes never completed")
  })

const withoutMtime = ({ mtimeMs: _, linked: _linked, ...info }: ScannedArtifact): ArtifactInfo => info

export const contractSuite = (name: string, makeLayer: (catalog: CatalogMode) => StoreLayer) => {
  for (const catalog of ["scan", "index"] as const) {
    describe(`${name} (${catalog} catalog) contract`, () => {
      const run = <A, E>(effect: Effect.Effect<A, E, BronzeWriter | BronzeReader | BronzeMaintenance>) =>
        Effect.provide(effect, makeLayer(catalog))

      it.effect(
        "put stores bytes with their size, sha256, time and location; get, stream and stat read them back",
        () =>
          run(
            Effect.gen(function* () {
              const writer = yield* BronzeWriter
              const reader = yield* BronzeReader
              yield* TestClock.setTime(1_700_000_000_123)
              const body = bytesOf('{"id":8863,"title":"My YC app"}')
              const result = yield* writer.put(key("8863"), body)
              assert.strictEqual(result.outcome, "written")
              assert.strictEqual(result.size, body.length)
              assert.strictEqual(result.sha256, yield* Effect.promise(() => sha256Hex(body)))
              assert.strictEqual(result.writtenAt, 1_700_000_000_123)
              assert.strictEqual(result.location, "hn/8863/item.json")
              assert.deepStrictEqual(result.key, key("8863"))
              assert.strictEqual(textOf(yield* reader.get(key("8863"))), textOf(body))
              const streamed = yield* Stream.runCollect(reader.stream(key("8863")))
              assert.strictEqual(textOf(Buffer.concat(streamed)), textOf(body))
              const { outcome: _, ...info } = result
              assert.deepStrictEqual(yield* reader.stat(key("8863")), Option.some(info))
            })
          )
      )

      it.effect("the same bytes again are a no-op that reports the stored artifact", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            yield* TestClock.setTime(1_000)
            const first = yield* writer.put(key("1"), bytesOf("same"))
            yield* TestClock.setTime(5_000)
            const again = yield* writer.put(key("1"), bytesOf("same"))
            const streamed = yield* writer.putStream(key("1"), Stream.make(bytesOf("sa"), bytesOf("me")))
            assert.strictEqual(again.outcome, "unchanged")
            assert.strictEqual(streamed.outcome, "unchanged")
            assert.deepStrictEqual({ ...again, outcome: "written" }, first)
            assert.strictEqual(again.writtenAt, 1_000)
          })
        )
      )

      it.effect("different bytes for an existing key fail with both hashes and leave the stored bytes", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            const first = yield* writer.put(key("1"), bytesOf("first"))
            const error = yield* Effect.flip(writer.put(key("1"), bytesOf("second")))
            assert.strictEqual(error._tag, "ArtifactConflict")
            if (error._tag !== "ArtifactConflict") return
            assert.strictEqual(error.existingSha256, first.sha256)
            assert.strictEqual(error.attemptedSha256, yield* Effect.promise(() => sha256Hex(bytesOf("second"))))
            assert.deepStrictEqual(error.key, key("1"))
            const streamError = yield* Effect.flip(writer.putStream(key("1"), Stream.make(bytesOf("third"))))
            assert.strictEqual(streamError._tag, "ArtifactConflict")
            assert.strictEqual(textOf(yield* reader.get(key("1"))), "first")
          })
        )
      )

      it.effect("concurrent writers of one key: exactly one writes, the others get unchanged or a conflict", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            const bodies = Array.from({ length: 12 }, (_, i) => bytesOf(`body ${i % 3}`))
            const results = yield* Effect.forEach(
              bodies,
              (body, i) =>
                Effect.result(
                  i % 2 === 0
                    ? writer.put(key("race"), body)
                    : writer.putStream(key("race"), Stream.make(body.slice(0, 2), body.slice(2)))
                ),
              { concurrency: "unbounded" }
            )
            const stored = textOf(yield* reader.get(key("race")))
            let written = 0
            results.forEach((result, i) => {
              if (result._tag === "Success") {
                if (result.success.outcome === "written") written++
                assert.strictEqual(textOf(bodies[i]!), stored)
              } else {
                assert.strictEqual(result.failure._tag, "ArtifactConflict")
                assert.notStrictEqual(textOf(bodies[i]!), stored)
              }
            })
            assert.strictEqual(written, 1)
          })
        )
      )

      it.effect("putStream stores the concatenated chunks; a failing stream leaves nothing visible", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(10_000).fill(i))
            const result = yield* writer.putStream(key("media", "audio", "mp3"), Stream.fromIterable(chunks))
            assert.strictEqual(result.outcome, "written")
            assert.strictEqual(result.size, 400_000)
            const back = yield* reader.get(key("media", "audio", "mp3"))
            assert.deepStrictEqual(back, new Uint8Array(Buffer.concat(chunks)))
            const failing = Stream.concat(Stream.make(bytesOf("partial")), Stream.fail("network down" as const))
            const error = yield* Effect.flip(writer.putStream(key("broken", "audio", "mp3"), failing))
            assert.strictEqual(error, "network down")
            assert.isTrue(Option.isNone(yield* reader.stat(key("broken", "audio", "mp3"))))
            assert.deepStrictEqual(yield* reader.listItem({ sourceType: "hn", externalId: "broken" }), [])
            const all = yield* scanAll(10)
            assert.deepStrictEqual(
              all.map((e) => e.location),
              ["hn/media/audio.mp3"]
            )
          })
        )
      )

      it.effect("a missing artifact is ArtifactNotFound for get and stream, None for stat", () =>
        run(
          Effect.gen(function* () {
            const reader = yield* BronzeReader
            const missing = yield* Effect.flip(reader.get(key("nope")))
            assert.strictEqual(missing._tag, "ArtifactNotFound")
            const streamMissing = yield* Effect.flip(Stream.runCollect(reader.stream(key("nope"))))
            assert.strictEqual(streamMissing._tag, "ArtifactNotFound")
            assert.isTrue(Option.isNone(yield* reader.stat(key("nope"))))
            assert.deepStrictEqual(yield* reader.listItem({ sourceType: "hn", externalId: "nope" }), [])
          })
        )
      )

      it.effect("an invalid key is refused with an InvalidKey naming the rule, and nothing is written", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            const bad: Array<readonly [ArtifactKey, RegExp]> = [
              [{ sourceType: "../etc", externalId: "1", artifactType: "item", ext: "json" }, /sourceType/],
              [{ sourceType: "hn", externalId: "1", artifactType: "../../x", ext: "json" }, /artifactType/],
              [{ sourceType: "hn", externalId: "1", artifactType: "item", ext: "js/on" }, /ext/],
              ...REFUSED_IDS.map(([id, rule]) => [key(id), rule] as const)
            ]
            for (const [k, rule] of bad) {
              const error = yield* Effect.flip(writer.put(k, bytesOf("x")))
              assert.strictEqual(error._tag, "InvalidKey")
              assert.match(error.message, rule)
              const streamed = yield* Effect.flip(writer.putStream(k, Stream.make(bytesOf("x"))))
              assert.strictEqual(streamed._tag, "InvalidKey")
              const read = yield* Effect.flip(reader.get(k))
              assert.deepStrictEqual(
                read._tag === "BronzeIoError" ? [read.operation, rule.test(read.message)] : [read._tag],
                ["validate-key", true]
              )
            }
            assert.match(
              (yield* Effect.flip(writer.put(key("a\u0000b"), bytesOf("x")))).message,
              /^invalid key: no U\+0000 \(NUL\): PostgreSQL text and jsonb cannot store it at \["externalId"\]$/
            )
            assert.deepStrictEqual((yield* scanAll(10)).length, 0)
          })
        )
      )

      it.effect("hostile external ids round-trip through put, get, listItem and the catalog", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            for (const id of HOSTILE_IDS) {
              yield* writer.put(key(id), bytesOf(`body of ${id}`))
              yield* writer.put(key(id, "comments@2026-11-27T05-00-00Z"), bytesOf(`comments of ${id}`))
            }
            for (const id of HOSTILE_IDS) {
              assert.strictEqual(textOf(yield* reader.get(key(id))), `body of ${id}`)
              const listed = yield* reader.listItem({ sourceType: "hn", externalId: id })
              assert.deepStrictEqual(
                listed.map((info) => info.key),
                [key(id, "comments@2026-11-27T05-00-00Z"), key(id)]
              )
            }
            const scanned = yield* scanAll(7)
            assert.strictEqual(scanned.length, HOSTILE_IDS.length * 2)
            assert.deepStrictEqual(new Set(scanned.map((e) => e.key.externalId)), new Set(HOSTILE_IDS))
            for (const entry of scanned) {
              assert.strictEqual(
                textOf(yield* reader.get(entry.key)),
                `${entry.key.artifactType === "item" ? "body" : "comments"} of ${entry.key.externalId}`
              )
            }
          })
        )
      )

      it.effect("scan pages by (mtimeMs, location), equal times included, with no gaps or repeats", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const times = [5_000, 1_000, 3_000, 3_000, 3_000, 2_000, 5_000, 4_000, 3_000, 1_000]
            for (const [i, t] of times.entries()) {
              yield* TestClock.setTime(t)
              yield* writer.put(key(`item-${String.fromCharCode(106 - i)}`), bytesOf(`${i}`))
            }
            const all = yield* scanAll(3)
            assert.strictEqual(all.length, times.length)
            const order = all.map((e) => [e.mtimeMs, e.location] as const)
            const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
            assert.deepStrictEqual(order, sorted)
            assert.strictEqual(new Set(all.map((e) => e.location)).size, times.length)
            for (const entry of all) assert.strictEqual(entry.writtenAt, entry.mtimeMs)
            // The store put them in place whole: a consumer need not wait for them to settle.
            for (const entry of all) assert.isTrue(entry.linked, entry.location)
            const reader = yield* BronzeReader
            const tail = yield* reader.scan({ after: { mtimeMs: 3_000, location: "hn/item-g/item.json" }, limit: 100 })
            assert.deepStrictEqual(
              tail.entries.map((e) => e.location),
              all
                .filter((e) => e.mtimeMs > 3_000 || (e.mtimeMs === 3_000 && e.location > "hn/item-g/item.json"))
                .map((e) => e.location)
            )
            assert.isTrue(tail.complete)
            const firstPage = yield* reader.scan({ limit: 4 })
            assert.isFalse(firstPage.complete)
            assert.deepStrictEqual(firstPage.entries, all.slice(0, 4))
          })
        )
      )

      it.effect("changes pages through every artifact in the configured mode and resumes from its cursor", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            for (let i = 0; i < 7; i++) {
              yield* TestClock.setTime(1_000 + i)
              yield* writer.put(key(`${i}`), bytesOf(`v${i}`))
            }
            const first = yield* changesAll(3)
            assert.deepStrictEqual(
              first.all.map((e) => e.key.externalId),
              ["0", "1", "2", "3", "4", "5", "6"]
            )
            assert.strictEqual(first.cursor._tag, catalog === "index" ? "Index" : "Scan")
            yield* TestClock.setTime(2_000)
            yield* writer.put(key("7"), bytesOf("v7"))
            const reader = yield* BronzeReader
            const next = yield* reader.changes({ cursor: first.cursor, limit: 10 })
            assert.deepStrictEqual(
              next.entries.map((e) => e.key.externalId),
              ["7"]
            )
          })
        )
      )

      it.effect("scan and the index report the same artifacts", () =>
        run(
          Effect.gen(function* () {
            const writer = yield* BronzeWriter
            const reader = yield* BronzeReader
            const maintenance = yield* BronzeMaintenance
            for (let i = 0; i < 9; i++) {
              yield* TestClock.setTime(10_000 + (i % 3))
              yield* writer.put(key(HOSTILE_IDS[i % HOSTILE_IDS.length]!, `a${i}`), bytesOf(`v${i}`))
            }
            // In scan mode the writer keeps no index; reconcile is not asked to build one there.
            const report = yield* maintenance.reconcile()
            assert.strictEqual(report.restoredIndexLines, 0)
            assert.strictEqual(report.scannedArtifacts, 9)
            const scanned = (yield* scanAll(4)).map(withoutMtime)
            const tail = yield* reader.tailIndex({ offset: 0, maxEntries: 100 })
            if (catalog === "index") {
              const sortKey = (i: ArtifactInfo) => i.location
              assert.deepStrictEqual(
                [...tail.entries.map((e) => e.info)].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)),
                [...scanned].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
              )
            } else {
              assert.strictEqual(tail.entries.length, 0)
            }
          })
        )
      )

      if (catalog === "index") {
        it.effect("tailIndex pages by byte offset, keeps its indexId, and restarts when the id is not its own", () =>
          run(
            Effect.gen(function* () {
              const writer = yield* BronzeWriter
              const reader = yield* BronzeReader
              const empty = yield* reader.tailIndex({ offset: 0, maxEntries: 10 })
              assert.deepStrictEqual(empty.entries, [])
              assert.strictEqual(empty.nextOffset, 0)
              for (let i = 0; i < 5; i++) yield* writer.put(key(`${i}`), bytesOf(`v${i}`))
              const page1 = yield* reader.tailIndex({ offset: 0, indexId: empty.indexId, maxEntries: 2 })
              assert.isFalse(page1.replaced)
              assert.strictEqual(page1.entries.length, 2)
              assert.strictEqual(page1.nextOffset, page1.entries[1]!.endOffset)
              const page2 = yield* reader.tailIndex({
                offset: page1.nextOffset,
                indexId: page1.indexId,
                maxEntries: 10
              })
              assert.strictEqual(page2.indexId, page1.indexId)
              assert.deepStrictEqual(
                [...page1.entries, ...page2.entries].map((e) => e.info.key.externalId),
                ["0", "1", "2", "3", "4"]
              )
              const page3 = yield* reader.tailIndex({
                offset: page2.nextOffset,
                indexId: page2.indexId,
                maxEntries: 10
              })
              assert.deepStrictEqual(page3.entries, [])
              assert.strictEqual(page3.nextOffset, page2.nextOffset)
              const other = yield* reader.tailIndex({ offset: page2.nextOffset, indexId: "another", maxEntries: 10 })
              assert.isTrue(other.replaced)
              assert.strictEqual(other.entries.length, 5)
              const beyond = yield* reader.tailIndex({ offset: page2.nextOffset + 1, maxEntries: 10 })
              assert.isTrue(beyond.replaced)
              assert.strictEqual(beyond.entries.length, 5)
            })
          )
        )
      }

      it.effect("the reader alone cannot write: BronzeReader has no put", () =>
        run(
          Effect.gen(function* () {
            const reader = yield* BronzeReader
            assert.isFalse("put" in reader)
            assert.isFalse("putStream" in reader)
            const exit = yield* Effect.exit(reader.get(key("x")))
            assert.isTrue(Exit.isFailure(exit))
          })
        )
      )
    })
  }
}
