import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  BronzeMaintenance,
  BronzeWriter,
  FileSystemBronze,
  MemoryBronze,
  type ReconcileProgress
} from "../src/index.ts"
import { tempRoot } from "./TempRoot.ts"

const key = (externalId: string) => ({ sourceType: "hn", externalId, artifactType: "item", ext: "json" })

// More item folders than one walk batch holds, so the walk reports before it is over.
const ITEMS = 200

describe("reconcile progress", () => {
  it.effect("a filesystem store reports artifacts checked as it walks, ending at all of them with the total", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const services = yield* Effect.provide(
        Effect.all({ writer: BronzeWriter, maintenance: BronzeMaintenance }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      yield* Effect.forEach(
        Array.from({ length: ITEMS }, (_, i) => key(String(i))),
        (k) => services.writer.put(k, new Uint8Array([1]))
      )
      const reports: Array<ReconcileProgress> = []
      const report = yield* services.maintenance.reconcile({
        onProgress: (p) => Effect.sync(() => void reports.push(p))
      })
      assert.strictEqual(report.scannedArtifacts, ITEMS)
      const during = reports.slice(0, -1)
      assert.isAbove(during.length, 1, "reports while walking")
      for (const p of during) assert.strictEqual(p.total, undefined)
      for (let i = 1; i < during.length; i++) assert.isAbove(during[i]!.done, during[i - 1]!.done)
      assert.isBelow(during[0]!.done, ITEMS)
      const last = reports.at(-1)!
      assert.strictEqual(last.done, ITEMS)
      assert.strictEqual(last.total, ITEMS)
    })
  )

  it.effect("without a callback a filesystem reconcile reports the same", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const services = yield* Effect.provide(
        Effect.all({ writer: BronzeWriter, maintenance: BronzeMaintenance }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      yield* services.writer.put(key("1"), new Uint8Array([1]))
      const report = yield* services.maintenance.reconcile()
      assert.strictEqual(report.scannedArtifacts, 1)
      assert.strictEqual(report.restoredIndexLines, 0)
    })
  )

  it.effect("a memory store reports once, at the end", () =>
    Effect.gen(function* () {
      const reports: Array<ReconcileProgress> = []
      yield* Effect.gen(function* () {
        const writer = yield* BronzeWriter
        yield* writer.put(key("1"), new Uint8Array([1]))
        yield* writer.put(key("2"), new Uint8Array([2]))
        const maintenance = yield* BronzeMaintenance
        yield* maintenance.reconcile({ onProgress: (p) => Effect.sync(() => void reports.push(p)) })
      }).pipe(Effect.provide(MemoryBronze.layer))
      assert.deepStrictEqual(reports, [{ done: 2, total: 2, elapsedMs: 0 }])
    })
  )
})
