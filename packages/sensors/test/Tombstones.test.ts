/**
 * Tombstones on the catalog's consumers, on the real filesystem store: an item purged while its
 * artifacts are still stored (a purge in progress) or still listed by the index (always: the index is
 * append-only) gets no run from a scan tick, an index tick or a backfill; the others do, and the cursor
 * still moves past it.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzePurge, BronzeWriter, FileSystemBronze, type ItemKey } from "@medallion/bronze"
import { Effect } from "effect"
import * as Backfill from "../src/Backfill.ts"
import * as BronzeSensor from "../src/BronzeSensor.ts"
import type * as Sensor from "../src/Sensor.ts"

const purged: ItemKey = { sourceType: "hn", externalId: "2" }

const itemsOf = (evaluation: Sensor.Evaluation<unknown, ItemKey>) =>
  evaluation._tag === "Runs" ? evaluation.runs.flatMap((run) => run.items.map((item) => item.externalId)).sort() : []

const withStore = (catalog: "scan" | "index") =>
  Effect.gen(function* () {
    const root = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-sensor-tombstones-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const layer = FileSystemBronze.layerWith({ root, catalog })
    yield* Effect.gen(function* () {
      const writer = yield* BronzeWriter
      for (const id of ["1", "2", "3"]) {
        yield* writer.put(
          { sourceType: "hn", externalId: id, artifactType: "item", ext: "json" },
          new TextEncoder().encode(id)
        )
      }
      // Tombstoned, artifacts not deleted yet: what a purge killed between its two steps leaves.
      yield* (yield* BronzePurge).tombstone(purged, "purged")
    }).pipe(Effect.provide(layer))
    return layer
  })

describe("tombstones on the bronze -> silver sensor and backfill", () => {
  it.effect("a scan tick leaves out a purged item and moves past it", () =>
    Effect.gen(function* () {
      const store = yield* withStore("scan")
      const evaluation = yield* BronzeSensor.evaluateScan<never>(
        { batchSize: 10, settleMs: 0, maxSeen: 500, reconcileEveryMs: null },
        BronzeSensor.initialScan,
        { maxRuns: 10, now: 60_000 }
      ).pipe(Effect.provide(store))
      assert.deepStrictEqual(itemsOf(evaluation), ["1", "3"])
      assert.strictEqual((evaluation.cursor as BronzeSensor.ScanCursor).seen.length, 3)
    })
  )

  it.effect("an index tick leaves out a purged item's lines and moves past them", () =>
    Effect.gen(function* () {
      const store = yield* withStore("index")
      const evaluation = yield* BronzeSensor.evaluateIndex({ batchSize: 10 }, BronzeSensor.initialIndex, {
        maxRuns: 10,
        now: 0
      }).pipe(Effect.provide(store))
      assert.deepStrictEqual(itemsOf(evaluation), ["1", "3"])
      assert.isAbove((evaluation.cursor as BronzeSensor.IndexCursor).offset, 0)
    })
  )

  it.effect("a backfill leaves out a purged item", () =>
    Effect.gen(function* () {
      for (const catalog of ["scan", "index"] as const) {
        const store = yield* withStore(catalog)
        const items = yield* Backfill.collectItems({}).pipe(Effect.provide(store))
        assert.deepStrictEqual(items.map((i) => i.externalId).sort(), ["1", "3"], catalog)
      }
    })
  )
})
