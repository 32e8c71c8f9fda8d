/**
 * The operator's report on a real database: counts per source and status, the lag of the
 * bronze -> silver sensor behind bronze (not counting what its cursor already handed out), and
 * the warnings.
 */
import { assert, describe, layer } from "@effect/vitest"
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as StatusReport from "../src/StatusReport.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))
const Layers = Layer.mergeAll(
  ItemRepo.layer.pipe(Layer.provide(SilverDatabase.layerFromClient())),
  MemoryBronze.layerWith({ catalog: "scan" })
).pipe(Layer.provideMerge(Database))

const bytes = (text: string) => new TextEncoder().encode(text)

describe("StatusReport", () => {
  layer(Layers, { timeout: 60_000 })((it) => {
    it.effect("counts items per status, measures the lag from the sensor's cursor, and warns", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const writer = yield* BronzeWriter
        const reader = yield* BronzeReader
        for (const id of ["1", "2", "3"]) {
          yield* writer.put(
            { sourceType: "hn", externalId: id, artifactType: "item", ext: "json" },
            bytes(`{"id":${id}}`)
          )
        }
        yield* sql`insert into items (source_type, external_id) values ('hn', '1'), ('hn', '2'), ('feed', 'a')`

        // Before any tick, everything in bronze is lag.
        const fresh = yield* StatusReport.make({ bronzeSensor: "bronze-to-silver", catalog: "scan" })
        assert.deepStrictEqual(fresh.lag, { artifacts: 3, atLeast: false })
        assert.deepStrictEqual(fresh.items, { total: 3, bySource: { hn: 2, feed: 1 } })
        assert.strictEqual(fresh.fetchStatus["pending"], 3)
        assert.deepStrictEqual(fresh.warnings, [])

        // The cursor handed out the first artifact (at the boundary mtime, in the seen-set): two remain.
        const [first] = (yield* reader.scan({ limit: 1 })).entries
        const cursor = {
          _tag: "Scan",
          mtimeMs: first!.mtimeMs,
          after: "",
          seen: [first!.location],
          reconcile: null,
          lastReconcileAt: -1
        }
        yield* sql`insert into sensor_state (sensor, cursor) values ('bronze-to-silver', ${JSON.stringify(cursor)}::jsonb)`
        yield* sql`insert into sensor_runs (sensor, run_key, status, item_keys, error, requested_at, finished_at)
                   values ('bronze-to-silver', 'run-1', 'failed', '[]'::jsonb, 'boom', now(), now())`
        const report = yield* StatusReport.make({ bronzeSensor: "bronze-to-silver", catalog: "scan" })
        assert.deepStrictEqual(report.lag, { artifacts: 2, atLeast: false })
        assert.strictEqual(report.sensors.length, 1)
        assert.deepStrictEqual(report.sensors[0]!.runs, { failed: 1 })
        assert.deepStrictEqual(
          report.sensors[0]!.failedRuns.map((r) => r.runKey),
          ["run-1"]
        )
        assert.strictEqual(report.warnings.length, 1)
        assert.include(report.warnings[0]!, "failed run")

        // A deployment that outgrew the small modes is told which switch to turn, and only that one.
        const outgrown = (options: Partial<StatusReport.StatusOptions>) =>
          Effect.map(
            StatusReport.make({ bronzeSensor: "bronze-to-silver", catalog: "scan", outgrownAt: 2, ...options }),
            (r) => r.warnings.filter((w) => !w.includes("failed run"))
          )
        const small = yield* outgrown({})
        assert.strictEqual(small.length, 3)
        assert.include(
          small[0]!,
          'switch bronze.discovery to "index" (daemons stopped, then `medallion switch-discovery`)'
        )
        assert.include(small[1]!, 'set runs.launcher to "queue"')
        assert.include(small[2]!, 'set bronze.store to "s3"')
        assert.deepStrictEqual(yield* outgrown({ catalog: "index", launcher: "queue", store: "s3" }), [])
        assert.deepStrictEqual(yield* outgrown({ outgrownAt: 3 }), [])

        // The lag is counted only up to its limit.
        const capped = yield* StatusReport.make({ bronzeSensor: "nobody", catalog: "scan", lagLimit: 2 })
        assert.deepStrictEqual(capped.lag, { artifacts: 2, atLeast: true })
      })
    )

    it.effect("lists the items that failed, the oldest of each step, with the step that failed and its reason", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        assert.deepStrictEqual((yield* StatusReport.make({ bronzeSensor: "b", catalog: "scan" })).failures.items, [])
        yield* sql`insert into items (source_type, external_id, fetch_status, fetch_error, updated_at)
                   values ('feed', '_feed:https://example.org/feed.xml', 'failed', 'feed: invalid-response: not a feed', now() - interval '1 minute')`
        yield* sql`insert into items (source_type, external_id, fetch_status, transcription_status, transcription_error)
                   values ('feed', 'episode', 'fetched', 'failed', 'transcript: http-status: HTTP 401: Incorrect API key provided')`
        yield* sql`insert into items (source_type, external_id, fetch_status, transform_status, transform_error, updated_at)
                   values ('hn', '9', 'fetched', 'failed', 'item.json: invalid JSON', now() - interval '2 minutes')`
        const report = yield* StatusReport.make({ bronzeSensor: "b", catalog: "scan" })
        assert.deepStrictEqual(
          report.failures.items.map((f) => [f.sourceType, f.externalId, f.stage, f.reason]),
          [
            ["feed", "_feed:https://example.org/feed.xml", "fetch", "feed: invalid-response: not a feed"],
            ["feed", "episode", "transcription", "transcript: http-status: HTTP 401: Incorrect API key provided"],
            ["hn", "9", "transform", "item.json: invalid JSON"]
          ]
        )
        assert.deepStrictEqual(
          [report.failures.fetch, report.failures.transcription, report.failures.transform],
          [1, 1, 1]
        )
        yield* sql`insert into items (source_type, external_id, fetch_status, fetch_error)
                   values ('feed', '_feed:https://example.org/other.xml', 'failed', 'feed: connect: ENOTFOUND')`
        const few = yield* StatusReport.make({ bronzeSensor: "b", catalog: "scan", failedItems: 1 })
        assert.deepStrictEqual(
          few.failures.items.map((f) => f.externalId),
          ["_feed:https://example.org/feed.xml", "episode", "9"]
        )
        const none = yield* StatusReport.make({ bronzeSensor: "b", catalog: "scan", failedItems: 0 })
        assert.deepStrictEqual(none.failures.items, [])
      })
    )

    it.effect("sums what purges and retention removed, and warns of those a killed run left unfinished", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const report = () => StatusReport.make({ bronzeSensor: "b", catalog: "scan", failedItems: 0 })
        assert.deepStrictEqual((yield* report()).removals, [])
        const artifacts = (n: number) =>
          JSON.stringify(
            Array.from({ length: n }, (_, i) => ({ location: `hn/1/item@${i}.json`, size: 1, sha256: "0" }))
          )
        yield* sql`insert into purge_log (action, state, source_type, external_id, requested_by, reason, artifacts, finished_at)
                   values ('purge', 'done', 'hn', '1', 'ops', 'takedown', ${artifacts(3)}::jsonb, '2026-01-02T00:00:00Z'),
                          ('purge', 'done', 'hn', '2', 'ops', 'takedown', ${artifacts(2)}::jsonb, '2026-01-03T00:00:00Z'),
                          ('retention', 'done', 'hn', '3', 'ops', 'keepVersions 1', ${artifacts(1)}::jsonb, '2026-01-01T00:00:00Z')`
        const done = yield* report()
        assert.deepStrictEqual(done.removals, [
          { action: "purge", items: 2, artifacts: 5, lastAt: "2026-01-03T00:00:00.000Z", unfinished: 0 },
          { action: "retention", items: 1, artifacts: 1, lastAt: "2026-01-01T00:00:00.000Z", unfinished: 0 }
        ])
        assert.deepStrictEqual(
          done.warnings.filter((w) => w.includes("midway")),
          []
        )

        // Intents recorded by runs killed before they finished: not counted as removed, each action warned of.
        yield* sql`insert into purge_log (action, state, source_type, external_id, requested_by, reason, artifacts)
                   values ('purge', 'started', 'hn', '4', 'ops', 'takedown', ${artifacts(4)}::jsonb),
                          ('retention', 'started', 'hn', '5', 'ops', 'keepVersions 1', ${artifacts(1)}::jsonb)`
        const stopped = yield* report()
        assert.deepStrictEqual(
          stopped.removals.map((r) => [r.action, r.items, r.artifacts, r.unfinished]),
          [
            ["purge", 2, 5, 1],
            ["retention", 1, 1, 1]
          ]
        )
        assert.deepStrictEqual(
          stopped.warnings.filter((w) => w.includes("midway")),
          [
            "1 purge(s) were stopped midway: the next `medallion purge` completes them first",
            "1 retention pass(es) were stopped midway: the next pass (`medallion retention` or the transform daemon's schedule) completes them first"
          ]
        )
      })
    )
  })
})
