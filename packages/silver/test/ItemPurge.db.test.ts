/**
 * `ItemPurge` stopped at each step (the bronze side fails right before, or right after, it deletes the
 * artifacts: what a kill at that point leaves), then run again: the purge left `started` is completed,
 * once, with the sha256 of everything removed. And the selections: by id glob, by age.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzePurge, BronzeTombstones, BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ItemPurge, ItemRepo, SilverDatabase, SilverMigrator } from "../src/index.ts"
import { ItemFixtures, TestDatabase } from "../src/testing/index.ts"

const request = { by: "ops@test", reason: "takedown" }

/** The real store, whose `removeItem` stops the purge before or after it deleted (as a kill would). */
const stopping = (root: string, when: "before-delete" | "after-delete") =>
  Layer.effect(
    BronzePurge,
    Effect.gen(function* () {
      const real = yield* BronzePurge
      return BronzePurge.of({
        ...real,
        removeItem: (item) =>
          when === "before-delete"
            ? Effect.die("killed before the delete")
            : Effect.andThen(real.removeItem(item), Effect.die("killed after the delete"))
      })
    })
  ).pipe(Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" })))

describe("ItemPurge", () => {
  it.live.each(["before-delete", "after-delete"] as const)("stopped %s, then run again: completed once", (when) =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.makeDatabase("silver_item_purge")
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "silver-item-purge-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const item = ItemFixtures.makeItem(1, { comments: 2 })
      const key = { sourceType: item.sourceType, externalId: item.externalId }
      const db = Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url: database.url }))
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        yield* (yield* ItemRepo).upsert([item])
        yield* Effect.gen(function* () {
          const writer = yield* BronzeWriter
          yield* writer.put({ ...key, artifactType: "item", ext: "json" }, new TextEncoder().encode("a"))
          yield* writer.put({ ...key, artifactType: "article", ext: "html" }, new TextEncoder().encode("b"))
        }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })))

        const planned = yield* ItemPurge.plan({ items: [key] }).pipe(
          Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" }))
        )
        assert.strictEqual(planned[0]!.artifacts.length, 2)
        const stopped = yield* Effect.exit(ItemPurge.run(planned, request).pipe(Effect.provide(stopping(root, when))))
        assert.isTrue(stopped._tag === "Failure")
        const sql = yield* SqlClient
        const states = yield* sql<{ state: string }>`select state from purge_log`
        assert.deepStrictEqual(
          states.map((s) => s.state),
          ["started"]
        )
        assert.isTrue((yield* (yield* ItemRepo).get(key))._tag === "Some")
        assert.strictEqual(Fs.existsSync(Path.join(root, "hn", key.externalId)), when === "before-delete")

        // The rerun completes what was started, once, whether or not it plans the item again.
        const again = yield* ItemPurge.plan({ items: [key] }).pipe(
          Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" }))
        )
        assert.deepStrictEqual(
          again.map((p) => p.item),
          [key]
        )
        const done = yield* ItemPurge.run(again, request).pipe(
          Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" }))
        )
        assert.deepStrictEqual(
          done.map((d) => [d.resumed, d.artifacts.length, d.silverRows.items, d.silverRows.comments]),
          [[true, 2, 1, 2]]
        )
        const rows = yield* sql<{ state: string }>`select state from purge_log`
        assert.deepStrictEqual(
          rows.map((s) => s.state),
          ["done"]
        )
        assert.isTrue((yield* (yield* ItemRepo).get(key))._tag === "None")
        assert.isFalse(Fs.existsSync(Path.join(root, "hn", key.externalId)))
      }).pipe(Effect.provide(db))
    }).pipe(Effect.scoped)
  )

  it.live("selects by id glob (silver-only items included) and by the age of the newest artifact", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.makeDatabase("silver_item_purge_select")
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "silver-item-purge-select-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
      const db = Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url: database.url }))
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        // 40000001 and 40000002 in bronze (the first with files from 2020), 40000013 in silver only.
        yield* (yield* ItemRepo).upsert([ItemFixtures.makeItem(13, { comments: 0 })])
        yield* Effect.gen(function* () {
          const writer = yield* BronzeWriter
          for (const id of ["40000001", "40000002"]) {
            yield* writer.put(
              { sourceType: "hn", externalId: id, artifactType: "item", ext: "json" },
              new TextEncoder().encode(id)
            )
          }
        }).pipe(Effect.provide(bronze))
        const old = new Date("2020-01-01T00:00:00Z")
        Fs.utimesSync(Path.join(root, "hn", "40000001", "item.json"), old, old)

        const ids = (planned: ReadonlyArray<ItemPurge.Planned>) => planned.map((p) => p.item.externalId).sort()
        const plan = (selection: ItemPurge.Selection) => ItemPurge.plan(selection).pipe(Effect.provide(bronze))
        assert.deepStrictEqual(ids(yield* plan({ sourceType: "hn", pattern: "4000000?" })), ["40000001", "40000002"])
        assert.deepStrictEqual(ids(yield* plan({ sourceType: "hn", pattern: "*3" })), ["40000013"])
        assert.deepStrictEqual(ids(yield* plan({ olderThanMs: 365 * 24 * 3600 * 1000 })), ["40000001"])
        assert.deepStrictEqual(ids(yield* plan({ sourceType: "web", olderThanMs: 0 })), [])
        // Planning writes nothing.
        const sql = yield* SqlClient
        assert.deepStrictEqual(yield* sql`select id from purge_log`, [])
      }).pipe(Effect.provide(db))
    }).pipe(Effect.scoped)
  )

  it.live("--allow-refetch: purged and audited, no tombstone left standing", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.makeDatabase("silver_item_purge_refetch")
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "silver-item-purge-refetch-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
      const key = { sourceType: "hn", externalId: "40000001" }
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        yield* Effect.gen(function* () {
          yield* (yield* BronzeWriter).put({ ...key, artifactType: "item", ext: "json" }, new TextEncoder().encode("a"))
          const planned = yield* ItemPurge.plan({ items: [key] })
          const done = yield* ItemPurge.run(planned, { ...request, allowRefetch: true })
          assert.deepStrictEqual(
            done.map((d) => d.artifacts.length),
            [1]
          )
          assert.isFalse(yield* (yield* BronzeTombstones).isPurged(key))
          assert.strictEqual(
            (yield* (yield* BronzeWriter).put(
              { ...key, artifactType: "item", ext: "json" },
              new TextEncoder().encode("b")
            )).outcome,
            "written"
          )
        }).pipe(Effect.provide(bronze))
        const sql = yield* SqlClient
        const rows = yield* sql<{ state: string; allowRefetch: boolean }>`select state, allow_refetch from purge_log`
        assert.deepStrictEqual(rows, [{ state: "done", allowRefetch: true }])
      }).pipe(Effect.provide(Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url: database.url }))))
    }).pipe(Effect.scoped)
  )
})
