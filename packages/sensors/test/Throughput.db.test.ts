/**
 * Throughput from the runs and ticks history on a real database: items and failures per bucket of
 * the finished runs, ticks by outcome, empty buckets filled, rows outside the window left out, and
 * a sensor with no history still listed.
 */
import { assert, describe, layer } from "@effect/vitest"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import * as Throughput from "../src/Throughput.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

const at = (iso: string) => new Date(Date.parse(iso)).toISOString()

describe("Throughput", () => {
  layer(Database, { timeout: 60_000 })((it) => {
    it.effect("buckets the finished runs and the ticks of each sensor over the window", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        yield* sql`insert into sensor_state (sensor, cursor) values ('bronze-to-silver', '{}'::jsonb), ('quiet', '{}'::jsonb)`
        const run = (key: string, status: string, items: number, failures: number, finishedAt: string | null) =>
          sql`insert into sensor_runs (sensor, run_key, status, item_keys, failures, requested_at, finished_at)
              values ('bronze-to-silver', ${key}, ${status},
                      (select coalesce(jsonb_agg(i), '[]'::jsonb) from generate_series(1, ${items}) i),
                      (select coalesce(jsonb_agg(jsonb_build_object('item', i, 'reason', 'bad')), '[]'::jsonb)
                         from generate_series(1, ${failures}) i),
                      ${at("1970-01-01T09:00:00Z")}::timestamptz, ${finishedAt}::timestamptz)`
        // The minute 09:58-09:59: two succeeded runs (one with two failed items) and a failed run.
        yield* run("a", "succeeded", 10, 0, at("1970-01-01T09:58:05Z"))
        yield* run("b", "succeeded", 5, 2, at("1970-01-01T09:58:59Z"))
        yield* run("c", "failed", 7, 0, at("1970-01-01T09:58:30Z"))
        // The current minute, and two outside the window (too old; unfinished).
        yield* run("d", "succeeded", 3, 0, at("1970-01-01T10:00:10Z"))
        yield* run("e", "succeeded", 100, 0, at("1970-01-01T08:00:00Z"))
        yield* run("f", "running", 100, 0, null)
        const tick = (status: string, startedAt: string) =>
          sql`insert into sensor_ticks (sensor, status, started_at, finished_at, duration_ms)
              values ('bronze-to-silver', ${status}, ${startedAt}::timestamptz,
                      ${startedAt}::timestamptz + interval '1 second', 1000)`
        yield* tick("success", at("1970-01-01T09:58:01Z"))
        yield* tick("skipped", at("1970-01-01T09:58:31Z"))
        yield* tick("failed", at("1970-01-01T09:59:01Z"))

        // The TestClock starts at 0: half a minute into the bucket of 10:00 on its first day.
        yield* TestClock.adjust(Date.parse("1970-01-01T10:00:30Z"))
        const report = yield* Throughput.make({ window: "1 hour", buckets: 60 })
        assert.strictEqual(report.bucketSeconds, 60)
        assert.strictEqual(report.to, at("1970-01-01T10:01:00Z"))
        assert.strictEqual(report.from, at("1970-01-01T09:01:00Z"))
        assert.deepStrictEqual(
          report.sensors.map((s) => [s.sensor, s.buckets.length]),
          [
            ["bronze-to-silver", 60],
            ["quiet", 60]
          ]
        )
        const buckets = report.sensors[0]!.buckets
        const byTime = (iso: string) => buckets.find((b) => b.at === at(iso))!
        assert.deepStrictEqual(byTime("1970-01-01T09:58:00Z"), {
          at: at("1970-01-01T09:58:00Z"),
          items: 15,
          itemFailures: 2,
          runs: 2,
          failedRuns: 1,
          ticks: 2,
          skippedTicks: 1,
          failedTicks: 0
        })
        assert.deepStrictEqual(byTime("1970-01-01T09:59:00Z"), {
          at: at("1970-01-01T09:59:00Z"),
          items: 0,
          itemFailures: 0,
          runs: 0,
          failedRuns: 0,
          ticks: 1,
          skippedTicks: 0,
          failedTicks: 1
        })
        assert.strictEqual(byTime("1970-01-01T10:00:00Z").items, 3)
        // Everything in the window is counted once; the old and the unfinished run are not.
        assert.strictEqual(
          buckets.reduce((n, b) => n + b.items, 0),
          18
        )
        assert.isTrue(report.sensors[1]!.buckets.every((b) => b.items === 0 && b.ticks === 0))
      })
    )
  })
})
