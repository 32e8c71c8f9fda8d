/**
 * A purged item is not fetched again: the fetch worker skips it (no request, no artifact) while its
 * tombstone stands, reporting why, and fetches it once the tombstone is lifted. On the real filesystem
 * store in a temp folder.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzePurge, BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { Effect } from "effect"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import type { Source } from "../../src/fetch/Source.ts"

describe("FetchWorker and purged items", () => {
  it.effect("skips a tombstoned item without fetching it, and fetches it again once lifted", () =>
    Effect.gen(function* () {
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-fetch-purged-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const fetched: Array<string> = []
      const source: Source<BronzeWriter> = {
        sourceType: "posts",
        discover: Effect.succeed([{ externalId: "1" }, { externalId: "2" }]),
        fetchItem: (item) =>
          Effect.gen(function* () {
            fetched.push(item.externalId)
            const key = { sourceType: "posts", externalId: item.externalId, artifactType: "post", ext: "json" }
            yield* Effect.orDie((yield* BronzeWriter).put(key, new TextEncoder().encode(item.externalId)))
            return { externalId: item.externalId, outcome: "fetched" as const, written: [] }
          })
      }
      yield* Effect.gen(function* () {
        const purge = yield* BronzePurge
        yield* purge.tombstone({ sourceType: "posts", externalId: "2" }, "purged")
        const report = yield* FetchWorker.runOnce(source)
        assert.deepStrictEqual(fetched, ["1"])
        assert.deepStrictEqual([report.fetched, report.skipped, report.failed], [1, 1, 0])
        assert.include(report.results.find((r) => r.externalId === "2")?.reason ?? "", "purged")
        assert.isFalse(Fs.existsSync(Path.join(root, "posts", "2")))

        yield* purge.tombstone({ sourceType: "posts", externalId: "2" }, "lifted")
        yield* FetchWorker.runOnce(source)
        assert.deepStrictEqual(fetched, ["1", "1", "2"])
        assert.isTrue(Fs.existsSync(Path.join(root, "posts", "2", "post.json")))
      }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })))
    })
  )
})
