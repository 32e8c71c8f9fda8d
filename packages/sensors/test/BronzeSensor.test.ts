/**
 * The catalog traps of the bronze -> silver sensor, on the real filesystem store in a temp folder, with
 * mtimes set explicitly and the tick's `now` given explicitly (no wall clock involved).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze, location, type ArtifactKey, type ItemKey } from "@medallion/bronze"
import { Effect } from "effect"
import * as BronzeSensor from "../src/BronzeSensor.ts"
import type * as Sensor from "../src/Sensor.ts"

const tempRoot = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-sensor-bronze-"))

const key = (externalId: string): ArtifactKey => ({ sourceType: "hn", externalId, artifactType: "item", ext: "json" })

/** Writes an artifact through bronze, then stamps its mtime (seconds precision, as coarse filesystems do). */
const put = (root: string, externalId: string, mtimeMs: number) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    yield* writer.put(key(externalId), new TextEncoder().encode(JSON.stringify({ id: externalId })))
    const file = Path.join(root, location(key(externalId)))
    Fs.utimesSync(file, mtimeMs / 1000, mtimeMs / 1000)
  })

// The settle-window traps are about files that may still grow: these take no early hand-out (`maxEarly: 0`).
const scanOptions = { batchSize: 10, settleMs: 0, maxSeen: 500, maxEarly: 0, reconcileEveryMs: null }

const tickScan = (
  cursor: BronzeSensor.ScanCursor,
  now: number,
  options: Partial<Parameters<typeof BronzeSensor.evaluateScan<never>>[0]> = {}
) => BronzeSensor.evaluateScan<never>({ ...scanOptions, ...options }, cursor, { maxRuns: 10, now })

const itemsOf = (evaluation: Sensor.Evaluation<unknown, ItemKey>) =>
  evaluation._tag === "Runs" ? evaluation.runs.flatMap((run) => run.items.map((item) => item.externalId)).sort() : []

const scanLayer = (root: string) => FileSystemBronze.layerWith({ root, catalog: "scan" })

describe("BronzeSensor, scan mode", () => {
  it.effect("two artifacts with equal mtime across a tick boundary are both handed out (seen-set)", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      // "b" is handed out; then "a", with the same mtime but a smaller location, appears.
      yield* put(root, "b", 1_000_000)
      const first = yield* tickScan(BronzeSensor.initialScan, 2_000_000)
      assert.deepStrictEqual(itemsOf(first), ["b"])
      yield* put(root, "a", 1_000_000)
      const second = yield* tickScan(first.cursor, 2_000_000)
      assert.deepStrictEqual(itemsOf(second), ["a"])
      const third = yield* tickScan(second.cursor, 2_000_000)
      assert.strictEqual(third._tag, "Skip")
    }).pipe(Effect.provide(scanLayer(root)))
  })

  it.effect("pages at its budget and resumes from its position, within one mtime too", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      for (const id of ["1", "2", "3", "4", "5"]) yield* put(root, id, 1_000_000)
      const page = (cursor: BronzeSensor.ScanCursor) =>
        BronzeSensor.evaluateScan<never>({ ...scanOptions, batchSize: 2 }, cursor, { maxRuns: 1, now: 2_000_000 })
      const one = yield* page(BronzeSensor.initialScan)
      const two = yield* page(one.cursor)
      const three = yield* page(two.cursor)
      assert.deepStrictEqual([itemsOf(one), itemsOf(two), itemsOf(three)], [["1", "2"], ["3", "4"], ["5"]])
      assert.strictEqual((yield* page(three.cursor))._tag, "Skip")
    }).pipe(Effect.provide(scanLayer(root)))
  })

  it.effect("an artifact still being written when the cursor moved is found (settle window)", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      // At t=5000 s, D (mtime 4500 s) is visible; E is still being written in a temp file (invisible),
      // and appears later with the mtime of its last write, 4400 s: before D's.
      yield* put(root, "d", 4_500_000)
      const first = yield* tickScan(BronzeSensor.initialScan, 5_000_000, { settleMs: 2_000_000 })
      assert.strictEqual(first._tag, "Skip")
      yield* put(root, "e", 4_400_000)
      const second = yield* tickScan(first.cursor, 7_000_000, { settleMs: 2_000_000 })
      assert.deepStrictEqual(itemsOf(second), ["d", "e"])
    }).pipe(Effect.provide(scanLayer(root)))
  })

  it.effect("a writer whose clock is behind the sensor's does not slip under the cursor (settle window)", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      yield* put(root, "early", 1_000_000)
      yield* put(root, "recent", 9_000_000)
      // The sensor's clock says 10,000 s; it hands out only what is older than now - settle (8,000 s).
      const first = yield* tickScan(BronzeSensor.initialScan, 10_000_000, { settleMs: 2_000_000 })
      assert.deepStrictEqual(itemsOf(first), ["early"])
      // A writer whose clock is 1,500 s behind stamps a file it writes now with 8,500 s.
      yield* put(root, "skewed", 8_500_000)
      const second = yield* tickScan(first.cursor, 10_600_000, { settleMs: 2_000_000 })
      assert.deepStrictEqual(itemsOf(second), ["skewed"])
      const third = yield* tickScan(second.cursor, 11_100_000, { settleMs: 2_000_000 })
      assert.deepStrictEqual(itemsOf(third), ["recent"])
    }).pipe(Effect.provide(scanLayer(root)))
  })

  it.effect("an artifact renamed in with an mtime older than the cursor is found by the reconcile pass", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      const day = 86_400_000
      const options = { reconcileEveryMs: day }
      yield* put(root, "new", 5_000_000)
      const first = yield* tickScan(BronzeSensor.initialScan, 6_000_000, options)
      assert.deepStrictEqual(itemsOf(first), ["new"])
      yield* put(root, "old", 1_000_000)
      // The cursor does not find it ...
      const second = yield* tickScan(first.cursor, 7_000_000, options)
      assert.strictEqual(second._tag, "Skip")
      // ... the next reconcile pass does, with run keys of its own (not deduped against earlier runs).
      const third = yield* tickScan(second.cursor, 6_000_000 + day, options)
      assert.include(itemsOf(third), "old")
      assert.isTrue(third._tag === "Runs" && third.runs.every((run) => run.runKey.startsWith("reconcile:")))
      assert.isNull(third.cursor.reconcile)
      // With a `known` filter, a pass only re-requests what is missing.
      const known = (artifacts: ReadonlyArray<{ readonly location: string }>) =>
        Effect.succeed(new Set(artifacts.map((a) => a.location).filter((l) => !l.includes("old"))))
      const fourth = yield* tickScan(third.cursor, 6_000_000 + 2 * day, { ...options, known })
      assert.deepStrictEqual(itemsOf(fourth), ["old"])
    }).pipe(Effect.provide(scanLayer(root)))
  })

  it.effect("run keys are deterministic: re-evaluating the same cursor gives the same keys", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      for (const id of ["x", "y", "z"]) yield* put(root, id, 1_000_000)
      const a = yield* tickScan(BronzeSensor.initialScan, 2_000_000)
      const b = yield* tickScan(BronzeSensor.initialScan, 2_000_000)
      assert.isTrue(a._tag === "Runs" && b._tag === "Runs")
      if (a._tag === "Runs" && b._tag === "Runs") {
        assert.deepStrictEqual(
          a.runs.map((run) => run.runKey),
          b.runs.map((run) => run.runKey)
        )
      }
    }).pipe(Effect.provide(scanLayer(root)))
  })
})

describe("BronzeSensor, index mode", () => {
  const indexLayer = (root: string) => FileSystemBronze.layerWith({ root, catalog: "index" })
  const tickIndex = (cursor: BronzeSensor.IndexCursor) =>
    BronzeSensor.evaluateIndex({ batchSize: 10 }, cursor, { maxRuns: 10, now: 0 })

  it.effect("a torn index line at the tail is not consumed; once complete it is handed out", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      yield* put(root, "a", 1_000_000)
      yield* put(root, "b", 1_000_000)
      const indexFile = Path.join(root, "_index.jsonl")
      const text = Fs.readFileSync(indexFile, "utf8")
      const [lineA, lineB] = text.split("\n")
      // The append of b's line was cut half-way.
      Fs.writeFileSync(indexFile, `${lineA}\n${lineB!.slice(0, 20)}`)
      const first = yield* tickIndex(BronzeSensor.initialIndex)
      assert.deepStrictEqual(itemsOf(first), ["a"])
      assert.strictEqual(first.cursor.offset, Buffer.byteLength(`${lineA}\n`))
      Fs.appendFileSync(indexFile, `${lineB!.slice(20)}\n`)
      const second = yield* tickIndex(first.cursor)
      assert.deepStrictEqual(itemsOf(second), ["b"])
    }).pipe(Effect.provide(indexLayer(root)))
  })

  it.effect("a replaced index restarts from 0 with a warning", () => {
    const root = tempRoot()
    return Effect.gen(function* () {
      yield* put(root, "a", 1_000_000)
      const first = yield* tickIndex(BronzeSensor.initialIndex)
      const indexFile = Path.join(root, "_index.jsonl")
      const copy = `${indexFile}.copy`
      Fs.copyFileSync(indexFile, copy)
      Fs.renameSync(copy, indexFile)
      const second = yield* tickIndex(first.cursor)
      assert.deepStrictEqual(itemsOf(second), ["a"])
      assert.isTrue(second._tag === "Runs" && (second.reason ?? "").includes("replaced"))
      // Same content, same run key: the runner's dedup absorbs the repeat.
      assert.isTrue(first._tag === "Runs" && second._tag === "Runs" && first.runs[0]!.runKey === second.runs[0]!.runKey)
    }).pipe(Effect.provide(indexLayer(root)))
  })
})
