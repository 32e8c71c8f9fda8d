/**
 * The transform and a purged item: a run over a tombstoned item whose artifacts are still stored (a purge
 * stopped before its delete) writes no silver row for it, and a listing that names it records it not.
 */
import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BronzePurge, FileSystemBronze } from "@medallion/bronze"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import * as F from "./Fixtures.ts"

const Bronze = Layer.unwrap(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "transform-purged-"))),
      (dir) => Effect.promise(() => NodeFs.rm(dir, { recursive: true, force: true }))
    ),
    (root) => FileSystemBronze.layerWith({ root, catalog: "scan" })
  )
)
const Silver = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const hn = (id: string) => ({ sourceType: "hn", externalId: id })

layer(Layer.mergeAll(Bronze, Silver), { timeout: 120_000 })("TransformJob and purged items", (it) => {
  it.effect("writes no row for a tombstoned item, from its artifacts or from a listing", () =>
    Effect.gen(function* () {
      const listed = (F.json("hn/topstories_ids_2023-08.json") as ReadonlyArray<number>).map(String)
      const purgedListed = listed[0]!
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      yield* F.put("hn", "_lists", "topstories@2026-11-27T05-00-00Z", "json", F.bytes("hn/topstories_ids_2023-08.json"))
      const purge = yield* BronzePurge
      yield* purge.tombstone(hn("8863"), "purged")
      yield* purge.tombstone(hn(purgedListed), "purged")
      yield* TransformJob.runBatch([hn("8863"), hn("_lists")])
      const repo = yield* ItemRepo
      assert.isTrue((yield* repo.get(hn("8863")))._tag === "None")
      assert.isTrue((yield* repo.get(hn(purgedListed)))._tag === "None")
      assert.isTrue((yield* repo.get(hn(listed[1]!)))._tag === "Some")
    })
  )
})
