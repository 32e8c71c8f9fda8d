/**
 * `status` in words, on a real database: per layer what is there, what waits and why (the reasons of
 * items left on purpose, one line per source and reason however many listings they came from), what
 * failed and the command that retries it.
 */
import { assert, describe, layer } from "@effect/vitest"
import { MemoryBronze } from "@medallion/bronze"
import { StatusReport } from "@medallion/sensors"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as StatusWords from "../src/StatusWords.ts"

const Layers = Layer.mergeAll(
  ItemRepo.layer.pipe(Layer.provide(SilverDatabase.layerFromClient())),
  MemoryBronze.layerWith({ catalog: "scan" })
).pipe(Layer.provideMerge(SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))))

const words = Effect.map(StatusReport.make({ bronzeSensor: "bronze-to-silver", catalog: "scan" }), (report) => ({
  report,
  text: [...StatusWords.layers(report), ...StatusWords.retryHints(report)].join("\n")
}))

describe("status in words", () => {
  layer(Layers, { timeout: 60_000 })((it) => {
    it.effect("says what each number means, why items wait, and how to retry what failed", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        assert.include((yield* words).text, "silver holds no items yet")

        const beyond = (stamp: string) =>
          `listed, but beyond the source's limit of 2 item(s) (maxItems) [hn/_lists/selected@${stamp}.json]`
        yield* sql`insert into items (source_type, external_id, fetch_status, transform_status) values
          ('hn', '1', 'fetched', 'transformed'), ('hn', '2', 'fetched', 'pending'), ('feed', 'e1', 'pending', 'pending')`
        yield* sql`insert into items (source_type, external_id, fetch_status, fetch_error) values
          ('hn', '3', 'skipped', ${beyond("2026-01-01T00-00-00Z")}),
          ('hn', '4', 'skipped', ${beyond("2026-01-02T00-00-00Z")}),
          ('hn', '5', 'skipped', ${beyond("2026-01-02T00-00-00Z")}),
          ('web', 'p', 'skipped', 'robots.txt disallows /private/')`
        const quiet = yield* words
        assert.include(quiet.text, "silver holds 7 item(s): hn 5, feed 1, web 1")
        assert.match(quiet.text, /\n +4 not fetched +on purpose, for the reasons below \(hn 3, web 1\)\n/)
        // Three listings' records, one reason: one line.
        assert.include(quiet.text, "\n           hn 3: listed, but beyond the source's limit of 2 item(s) (maxItems)\n")
        assert.include(quiet.text, "\n           web 1: robots.txt disallows /private/\n")
        assert.match(quiet.text, /\n +1 waiting +listed by a source, fetched at one of its next runs \(feed 1\)\n/)
        assert.match(quiet.text, /\n +1 waiting +fetched, the bronze -> silver sensor transforms it next \(hn 1\)\n/)
        assert.match(quiet.text, /\n +5 no content +known by id only, nothing to transform until it is fetched/)
        assert.notInclude(quiet.text, "medallion retry")
        assert.deepStrictEqual(
          quiet.report.notDone.map((n) => [n.stage, n.sourceType, n.status, n.count]),
          [
            ["fetch", "hn", "skipped", 3],
            ["fetch", "web", "skipped", 1]
          ]
        )

        yield* sql`insert into items (source_type, external_id, fetch_status, transform_status, transform_error)
                   values ('hn', '9', 'fetched', 'failed', 'item.json: invalid JSON')`
        yield* sql`insert into items (source_type, external_id, fetch_status, fetch_error)
                   values ('feed', 'e2', 'failed', 'article: http-status: HTTP 503')`
        yield* sql`insert into sensor_runs (sensor, run_key, status, item_keys, error, requested_at, finished_at)
                   values ('bronze-to-silver', 'run-1', 'failed', '[]'::jsonb, 'boom', now(), now())`
        yield* sql`insert into sensor_state (sensor, cursor) values ('bronze-to-silver', 'null'::jsonb)`
        const failing = (yield* words).text
        assert.match(failing, /\n +1 failed +could not be transformed \(see failed, below\) \(hn 1\)\n/)
        assert.include(failing, "to retry the transform of the failed items: medallion retry --items")
        assert.include(failing, "to run the failed runs again: medallion retry (one: medallion retry --run KEY)")
        assert.include(failing, "failed fetches are fetched again by the fetch daemon at a later run of their source")
      })
    )
  })
})
