/**
 * The silver -> gold sensor on a real database: transactions that commit out of order, a long open
 * transaction, the example gold asset, and a LISTEN wake-up end to end.
 */
import { assert, describe, layer } from "@effect/vitest"
import { CHANGED_CHANNEL, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import * as GoldDailyCounts from "../src/GoldDailyCounts.ts"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import type * as Sensor from "../src/Sensor.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import * as SilverChangesSensor from "../src/SilverChangesSensor.ts"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"
import * as Wakeups from "../src/Wakeups.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

const insertItem = (sourceType: string, externalId: string, published = "2026-11-27T10:00:00Z") =>
  Effect.flatMap(
    SqlClient.use(Effect.succeed),
    (sql) =>
      sql`insert into items (source_type, external_id, published_at) values (${sourceType}, ${externalId}, ${published}::timestamptz)
          on conflict (source_type, external_id) do update set published_at = excluded.published_at`
  )

const tick = (cursor: SilverChangesSensor.Cursor, maxRuns = 10) =>
  SilverChangesSensor.evaluate({ batchSize: 10 }, cursor, { maxRuns, now: 0 })

const itemsOf = (evaluation: Sensor.Evaluation<unknown, { externalId: string }>) =>
  evaluation._tag === "Runs" ? evaluation.runs.flatMap((run) => run.items.map((item) => item.externalId)).sort() : []

describe("SilverChangesSensor", () => {
  layer(Database, { timeout: 60_000 })((it) => {
    it.effect("a lower id committing last is not lost; a long open transaction stalls the cursor", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const start = yield* tick(SilverChangesSensor.initial)
        let cursor = start.cursor
        // Writer A opens first (lower id and xid) and stays open; writer B commits after it.
        const inserted = yield* Deferred.make<string>()
        const release = yield* Deferred.make<void>()
        const writerA = yield* Effect.forkChild(
          sql.withTransaction(
            Effect.gen(function* () {
              yield* insertItem("ooo", "a-lower-id")
              const [own] = yield* sql<{ xid: string }>`select pg_current_xact_id()::text as xid`
              yield* Deferred.succeed(inserted, own!.xid)
              yield* Deferred.await(release)
            })
          )
        )
        const xidA = yield* Deferred.await(inserted)
        yield* insertItem("ooo", "b-higher-id")
        // While A is open, B (committed) is not handed out yet and the cursor does not move past A.
        for (let i = 0; i < 3; i++) {
          const stalled = yield* tick(cursor)
          assert.deepStrictEqual(itemsOf(stalled), [])
          cursor = stalled.cursor
        }
        assert.isTrue(BigInt(cursor.xmin) <= BigInt(xidA))
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(writerA)
        const after = yield* tick(cursor)
        assert.deepStrictEqual(itemsOf(after), ["a-lower-id", "b-higher-id"])
        const idle = yield* tick(after.cursor)
        assert.deepStrictEqual(itemsOf(idle), [])
      })
    )

    it.effect("pages within a transaction that touched more rows than one tick takes", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const start = (yield* tick(SilverChangesSensor.initial)).cursor
        yield* sql.withTransaction(
          Effect.forEach(["p1", "p2", "p3", "p4", "p5"], (id) => insertItem("page", id), { discard: true })
        )
        const page = (cursor: SilverChangesSensor.Cursor) =>
          SilverChangesSensor.evaluate({ batchSize: 2 }, cursor, { maxRuns: 1, now: 0 })
        const one = yield* page(start)
        const two = yield* page(one.cursor)
        const three = yield* page(two.cursor)
        assert.deepStrictEqual([itemsOf(one), itemsOf(two), itemsOf(three)], [["p1", "p2"], ["p3", "p4"], ["p5"]])
      })
    )

    it.effect("the example gold asset counts items per source and day, idempotently", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        yield* insertItem("gold", "g1", "2026-11-26T23:00:00Z")
        yield* insertItem("gold", "g2", "2026-11-27T01:00:00Z")
        yield* insertItem("gold", "g3", "2026-11-27T02:00:00Z")
        const items = [1, 2, 3].map((n) => ({ sourceType: "gold", externalId: `g${n}` }))
        yield* GoldDailyCounts.job.run(items)
        yield* GoldDailyCounts.job.run(items)
        const rows = yield* sql<{ day: string; items: number }>`
          select day::text as day, items from gold_daily_counts where source_type = 'gold' order by day`
        assert.deepStrictEqual(rows, [
          { day: "2026-11-26", items: 1 },
          { day: "2026-11-27", items: 2 }
        ])
      })
    )
  })

  // The whole chain on PostgreSQL: a write + NOTIFY wakes the sensor (its interval is an hour), the run
  // refreshes gold, and the cursor is committed.
  layer(
    SensorRunner.layer([GoldDailyCounts.sensor({ wake: Wakeups.postgresListen(CHANGED_CHANNEL) })], {
      wakeFloor: "10 millis"
    }).pipe(
      Layer.provideMerge(InProcessLauncher.layer()),
      Layer.provideMerge(SqlSensorStore.layer),
      Layer.provideMerge(Database)
    ),
    { timeout: 60_000 }
  )((it) => {
    it.effect("LISTEN/NOTIFY wakes the gold sensor before its interval", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const runner = yield* SensorRunner.SensorRunner
        yield* runner.tick("gold.daily_counts")
        yield* sql.withTransaction(
          Effect.andThen(insertItem("wake", "w1"), sql`select pg_notify(${CHANGED_CHANNEL}, 'items')`)
        )
        // No explicit tick; the test clock moves past the 10 ms wake floor only, far from the 30 s interval:
        // only the notification can trigger the tick.
        const count = sql<{ n: number }>`select count(*)::int as n from gold_daily_counts where source_type = 'wake'`
        while ((yield* count)[0]!.n === 0) {
          yield* TestClock.adjust("10 millis")
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
        }
        const [latest] = yield* sql<{
          n: number
        }>`select count(*)::int as n from sensor_ticks where sensor = 'gold.daily_counts'`
        assert.strictEqual(latest!.n, 2)
        yield* runner.awaitIdle("gold.daily_counts")
        const [state] = yield* sql<{
          xmin: string
        }>`select cursor->>'xmin' as xmin from sensor_state where sensor = 'gold.daily_counts'`
        assert.notStrictEqual(state!.xmin, "0")
      })
    )
  })
})
