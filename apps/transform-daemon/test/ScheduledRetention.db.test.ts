/**
 * The transform daemon's scheduled retention: on its cron schedule it removes the versions beyond the
 * policy, audited as the daemon; an item whose removal fails is a WARN with the source, the item and the
 * reason, and the pass goes on with the others.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeIoError, BronzePurge, BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Logger } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import * as TransformDeployment from "../src/TransformDeployment.ts"

const STAMPS = ["", "@2026-01-01T00-00-00Z", "@2026-01-02T00-00-00Z"]
const FAILING = "40000002"

describe("TransformDeployment.scheduledRetention", () => {
  it.effect("runs on its schedule; a failed item is a WARN with source and reason, the others go on", () =>
    Effect.gen(function* () {
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "scheduled-retention-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const database = yield* TestDatabase.makeDatabase("transform_scheduled_retention")
      const lines: Array<{ readonly level: string; readonly message: string }> = []
      const logger = Logger.make(({ logLevel, message }) => {
        lines.push({ level: logLevel, message: (Array.isArray(message) ? message : [message]).map(String).join(" ") })
      })
      const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
      /** The real store, except that one item's artifacts cannot be removed. */
      const failingOne = Layer.effect(
        BronzePurge,
        Effect.map(BronzePurge, (real) =>
          BronzePurge.of({
            ...real,
            removeArtifacts: (keys) =>
              keys[0]?.externalId === FAILING
                ? Effect.fail(
                    new BronzeIoError({ operation: "remove-artifacts", location: `hn/${FAILING}`, cause: "disk gone" })
                  )
                : real.removeArtifacts(keys)
          })
        )
      ).pipe(Layer.provideMerge(bronze))
      const db = SilverDatabase.layerWith({ url: database.url })
      const folder = (id: string) => Fs.readdirSync(Path.join(root, "hn", id)).sort()

      yield* Effect.gen(function* () {
        yield* SilverMigrator.run()
        const writer = yield* BronzeWriter
        for (const id of ["40000001", FAILING])
          for (const stamp of STAMPS)
            yield* writer.put(
              { sourceType: "hn", externalId: id, artifactType: `comments${stamp}`, ext: "json" },
              new TextEncoder().encode(`[${JSON.stringify(stamp)}]`)
            )
        yield* Layer.build(
          TransformDeployment.scheduledRetention({
            schedule: "0 * * * *",
            sources: [{ sourceType: "hn", policy: { keepVersions: 1 }, reason: "retention: keep the newest" }]
          })
        )
        yield* TestClock.adjust("1 hour")
        const sql = yield* SqlClient
        // The pass runs on real files and a real database: wait for it to have reported.
        for (let i = 0; i < 600 && !lines.some((l) => l.message.startsWith("scheduled retention:")); i++)
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))

        assert.deepStrictEqual(folder("40000001"), ["comments@2026-01-02T00-00-00Z.json"])
        assert.deepStrictEqual(folder(FAILING), [
          "comments.json",
          "comments@2026-01-01T00-00-00Z.json",
          "comments@2026-01-02T00-00-00Z.json"
        ])
        const rows = yield* sql<{ externalId: string; state: string; requestedBy: string }>`
          select external_id, state, requested_by from purge_log order by external_id`
        // The failed item's intent stays `started`: the next pass completes it.
        assert.deepStrictEqual(rows, [
          { externalId: "40000001", state: "done", requestedBy: "transform-daemon" },
          { externalId: FAILING, state: "started", requestedBy: "transform-daemon" }
        ])
        const warning = lines.find((l) => l.level === "Warn")
        assert.isDefined(warning, JSON.stringify(lines))
        assert.include(warning!.message, `retention of source hn failed for ${FAILING}`)
        assert.include(warning!.message, "disk gone")
        assert.isTrue(lines.some((l) => l.message.includes("2 old version(s) removed from 1 source(s), 1 failure(s)")))
      }).pipe(Effect.provide(Layer.mergeAll(failingOne, db, Logger.layer([logger]))))
    }).pipe(Effect.scoped)
  )
})
