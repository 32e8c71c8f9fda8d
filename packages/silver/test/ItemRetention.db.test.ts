/**
 * `ItemRetention` on a real store and database: the versions beyond the newest N go, the version
 * silver derives from stays however old, the newest always stays, the age rule keeps what is young;
 * planning changes nothing; each removal is a `purge_log` row (`retention`, sha256, never content); a
 * pass stopped before or after its deletion completes on rerun; and a reconcile of the index does not
 * bring a removed version back.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeMaintenance, BronzePurge, BronzeReader, BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { DateTime, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ItemRepo, ItemRetention, SilverDatabase, SilverMigrator } from "../src/index.ts"
import { ItemFixtures, TestDatabase } from "../src/testing/index.ts"

const request = { by: "ops@test", reason: "retention: test policy" }
const DAY = 24 * 3600 * 1000
const encoder = new TextEncoder()
const sha = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")
/** `2026-11-27T05-00-00Z` for an instant. */
const stamp = (millis: number) =>
  new Date(millis)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/:/g, "-")

const ITEM = { sourceType: "hn", externalId: String(40_000_001) }
const comments = (s: string) => ({ ...ITEM, artifactType: s === "" ? "comments" : `comments@${s}`, ext: "json" })
const names = (root: string) => Fs.readdirSync(Path.join(root, "hn", ITEM.externalId)).sort()

const tempRoot = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )

/** The item in silver, deriving from `comments@<pinned>.json`. */
const silverItem = (pinned: string, root: string) => {
  const location = `hn/${ITEM.externalId}/comments@${pinned}.json`
  return {
    ...ItemFixtures.makeItem(1, { comments: 0 }),
    artifacts: [
      {
        artifactType: `comments@${pinned}`,
        ext: "json",
        sha256: sha(Fs.readFileSync(Path.join(root, location), "utf8")),
        size: Fs.statSync(Path.join(root, location)).size,
        location,
        writtenAt: DateTime.makeUnsafe(Date.UTC(2026, 0, 1))
      }
    ]
  }
}

/** Five versions of the comments: unstamped, then 1 to 4 January 2026; `item.json` once. */
const STAMPS = ["", "2026-01-01T00-00-00Z", "2026-01-02T00-00-00Z", "2026-01-03T00-00-00Z", "2026-01-04T00-00-00Z"]

const seed = (stamps: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    yield* writer.put({ ...ITEM, artifactType: "item", ext: "json" }, encoder.encode("{}"))
    for (const s of stamps) yield* writer.put(comments(s), encoder.encode(`[${JSON.stringify(s)}]`))
  })

const withDb = (name: string) =>
  Effect.flatMap(TestDatabase.makeDatabase(name), (database) =>
    Effect.succeed(Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url: database.url })))
  )

/** The real store, whose `removeArtifacts` stops the pass before or after it deleted (as a kill would). */
const stopping = (root: string, when: "before-delete" | "after-delete") =>
  Layer.effect(
    BronzePurge,
    Effect.gen(function* () {
      const real = yield* BronzePurge
      return BronzePurge.of({
        ...real,
        removeArtifacts: (keys) =>
          when === "before-delete"
            ? Effect.die("killed before the delete")
            : Effect.andThen(real.removeArtifacts(keys), Effect.die("killed after the delete"))
      })
    })
  ).pipe(Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "index" })))

describe("ItemRetention", () => {
  it.live(
    "keeps the newest N and what silver derives from; plans without changing anything; audited; reconcile brings nothing back",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot("silver-retention-")
        const bronze = FileSystemBronze.layerWith({ root, catalog: "index" })
        yield* Effect.gen(function* () {
          yield* SilverMigrator.run()
          yield* seed(STAMPS)
          // Silver derives from the 1 January version (a newer one did not decode, say).
          yield* (yield* ItemRepo).upsert([silverItem(STAMPS[1]!, root)])
          const before = names(root)
          const sql = yield* SqlClient

          const planned = yield* ItemRetention.plan("hn", { keepVersions: 2 })
          assert.deepStrictEqual(
            planned.map((p) => p.artifacts.map((a) => a.key.artifactType)),
            [["comments", `comments@${STAMPS[2]}`]]
          )
          // Planning (the dry run) deletes nothing and records nothing.
          assert.deepStrictEqual(names(root), before)
          assert.deepStrictEqual(yield* sql`select id from purge_log`, [])

          const report = yield* ItemRetention.run(planned, request)
          assert.deepStrictEqual(report.failed, [])
          assert.deepStrictEqual(names(root), [
            `comments@${STAMPS[1]}.json`,
            `comments@${STAMPS[3]}.json`,
            `comments@${STAMPS[4]}.json`,
            "item.json"
          ])
          const rows = yield* sql<{
            action: string
            state: string
            requestedBy: string
            reason: string
            artifacts: ReadonlyArray<{ location: string; size: number; sha256: string }>
            allowRefetch: boolean
          }>`select action, state, requested_by, reason, artifacts, allow_refetch from purge_log`
          assert.deepStrictEqual(rows, [
            {
              action: "retention",
              state: "done",
              requestedBy: request.by,
              reason: request.reason,
              artifacts: [
                { location: `hn/${ITEM.externalId}/comments.json`, size: 4, sha256: sha('[""]') },
                {
                  location: `hn/${ITEM.externalId}/comments@${STAMPS[2]}.json`,
                  size: 24,
                  sha256: sha(`["${STAMPS[2]}"]`)
                }
              ],
              allowRefetch: true
            }
          ])
          // Nothing more to do; a purge's own rows are not a retention's.
          assert.deepStrictEqual(yield* ItemRetention.plan("hn", { keepVersions: 2 }), [])
          assert.deepStrictEqual((yield* ItemRetention.run([], request)).done, [])

          // The index still holds their lines (append-only); a reconcile restores none, and the item's
          // listing (what the transform and a backfill read) does not have them.
          const reconciled = yield* (yield* BronzeMaintenance).reconcile()
          assert.strictEqual(reconciled.restoredIndexLines, 0)
          const listed = yield* (yield* BronzeReader).listItem(ITEM)
          assert.deepStrictEqual(
            listed.map((a) => a.key.artifactType),
            [`comments@${STAMPS[1]}`, `comments@${STAMPS[3]}`, `comments@${STAMPS[4]}`, "item"]
          )
          assert.deepStrictEqual(names(root), [
            `comments@${STAMPS[1]}.json`,
            `comments@${STAMPS[3]}.json`,
            `comments@${STAMPS[4]}.json`,
            "item.json"
          ])
        }).pipe(Effect.provide(Layer.merge(bronze, yield* withDb("silver_item_retention"))))
      }).pipe(Effect.scoped)
  )

  it.live("the age rule keeps the young versions, and the newest always, however old", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot("silver-retention-age-")
      const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
      const now = Date.now()
      const young = [stamp(now - 2 * DAY), stamp(now - DAY)]
      const old = [stamp(now - 90 * DAY), stamp(now - 60 * DAY)]
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        yield* seed([...old, ...young])
        const kept = (planned: ReadonlyArray<ItemRetention.Planned>) =>
          planned.flatMap((p) => p.artifacts.map((a) => a.key.artifactType))
        assert.deepStrictEqual(
          kept(yield* ItemRetention.plan("hn", { keepForMs: 30 * DAY })),
          old.map((s) => `comments@${s}`)
        )
        // Either rule keeps a version: the newest three, or those younger than 30 days.
        assert.deepStrictEqual(kept(yield* ItemRetention.plan("hn", { keepForMs: 30 * DAY, keepVersions: 3 })), [
          `comments@${old[0]}`
        ])
        // Every version older than the rule, the newest still stays.
        assert.deepStrictEqual(kept(yield* ItemRetention.plan("hn", { keepForMs: 0.5 * DAY })), [
          ...old.map((s) => `comments@${s}`),
          `comments@${young[0]}`
        ])
        assert.deepStrictEqual(kept(yield* ItemRetention.plan("web", { keepVersions: 1 })), [])
      }).pipe(Effect.provide(Layer.merge(bronze, yield* withDb("silver_item_retention_age"))))
    }).pipe(Effect.scoped)
  )

  it.live.each(["before-delete", "after-delete"] as const)("stopped %s, then run again: completed once", (when) =>
    Effect.gen(function* () {
      const root = yield* tempRoot("silver-retention-stop-")
      const bronze = FileSystemBronze.layerWith({ root, catalog: "index" })
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        yield* seed(STAMPS).pipe(Effect.provide(bronze))
        const planned = yield* ItemRetention.plan("hn", { keepVersions: 1 }).pipe(Effect.provide(bronze))
        assert.strictEqual(planned[0]!.artifacts.length, 4)
        const stopped = yield* Effect.exit(
          ItemRetention.run(planned, request).pipe(Effect.provide(stopping(root, when)))
        )
        assert.isTrue(stopped._tag === "Failure")
        const sql = yield* SqlClient
        assert.deepStrictEqual(
          (yield* sql<{ state: string }>`select state from purge_log`).map((s) => s.state),
          ["started"]
        )
        assert.strictEqual(names(root).length, when === "before-delete" ? 6 : 2)

        // The rerun completes what was started, once, whether or not it plans the item again.
        const again = yield* ItemRetention.plan("hn", { keepVersions: 1 }).pipe(Effect.provide(bronze))
        const report = yield* ItemRetention.run(again, request).pipe(Effect.provide(bronze))
        assert.deepStrictEqual(
          report.done.map((d) => [d.resumed, d.artifacts.length]),
          [[true, 4]]
        )
        const rows = yield* sql<{ state: string; artifacts: ReadonlyArray<{ sha256: string }> }>`
          select state, artifacts from purge_log`
        assert.deepStrictEqual(
          rows.map((r) => [r.state, r.artifacts.map((a) => a.sha256).sort()]),
          [
            [
              "done",
              STAMPS.slice(0, 4)
                .map((s) => sha(`[${JSON.stringify(s)}]`))
                .sort()
            ]
          ]
        )
        assert.deepStrictEqual(names(root), [`comments@${STAMPS[4]}.json`, "item.json"])
      }).pipe(Effect.provide(yield* withDb(`silver_item_retention_${when.replace("-", "_")}`)))
    }).pipe(Effect.scoped)
  )

  it.live("a pass completed on rerun still keeps what silver came to derive from in between", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot("silver-retention-recheck-")
      const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        yield* seed(STAMPS).pipe(Effect.provide(bronze))
        const planned = yield* ItemRetention.plan("hn", { keepVersions: 1 }).pipe(Effect.provide(bronze))
        const stopped = yield* Effect.exit(
          ItemRetention.run(planned, request).pipe(Effect.provide(stopping(root, "before-delete")))
        )
        assert.isTrue(stopped._tag === "Failure")
        // A transform in between: the newest version did not decode, silver derives from 2 January.
        yield* (yield* ItemRepo).upsert([silverItem(STAMPS[2]!, root)])
        const report = yield* ItemRetention.run([], request).pipe(Effect.provide(bronze))
        assert.deepStrictEqual(
          report.done.map((d) => d.artifacts.map((a) => a.location.slice(`hn/${ITEM.externalId}/`.length))),
          [["comments.json", `comments@${STAMPS[1]}.json`, `comments@${STAMPS[3]}.json`]]
        )
        assert.deepStrictEqual(names(root), [`comments@${STAMPS[2]}.json`, `comments@${STAMPS[4]}.json`, "item.json"])
      }).pipe(Effect.provide(yield* withDb("silver_item_retention_recheck")))
    }).pipe(Effect.scoped)
  )
})
