/**
 * Crash tests with real runner processes (test/child/runner.ts) on a real database and a real bronze
 * folder: SIGKILL during a tick and during a run, then a restart; every item is processed exactly once
 * and the cursor never skipped one. Two runners on one database never tick the same sensor at once.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze, location } from "@medallion/bronze"
import { PgClient } from "@effect/sql-pg"
import { SilverMigrator } from "@medallion/silver"
import { ChildScript, TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Redacted, String as Str } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const CHILD = Path.join(import.meta.dirname, "child", "runner.ts")
const ITEMS = 12

const spawn = (env: Record<string, string>) => ChildScript.spawn(CHILD, env)

/** Polls (without a time limit of its own: the test's timeout bounds it) until `check` holds. */
const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    while (!(yield* check)) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 25)))
  })

const setup = Effect.gen(function* () {
  const database = yield* TestDatabase.makeDatabase("medallion_sensor_crash")
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-sensor-crash-"))
  const context = yield* Layer.build(
    Layer.mergeAll(
      PgClient.layer({ url: database.url, transformResultNames: Str.snakeToCamel, maxConnections: 4 }),
      FileSystemBronze.layerWith({ root, catalog: "scan" })
    )
  )
  return { database, root, context }
})

const prepare = (root: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    yield* SilverMigrator.run()
    yield* sql`create table processed (item_key text primary key, times integer not null)`
    const writer = yield* BronzeWriter
    for (let i = 0; i < ITEMS; i++) {
      const key = { sourceType: "hn", externalId: String(i), artifactType: "item", ext: "json" }
      yield* writer.put(key, new TextEncoder().encode(JSON.stringify({ id: i })))
      // Distinct, past mtimes: the scan order is the item order.
      const when = (1_000_000 + i * 1000) / 1000
      Fs.utimesSync(Path.join(root, location(key)), when, when)
    }
  })

describe("crash recovery with real runner processes", () => {
  it.live(
    "SIGKILL during a tick and during a run: after a restart every item is processed exactly once",
    () =>
      Effect.gen(function* () {
        const { context, database, root } = yield* setup
        const sql = yield* Effect.provideContext(SqlClient.use(Effect.succeed), context)
        yield* prepare(root).pipe(Effect.provideContext(context))
        const env = {
          CHILD_DATABASE_URL: Redacted.value(database.url),
          CHILD_BRONZE_ROOT: root,
          CHILD_LEASE_TTL_MS: "500"
        }

        // 1. Killed in the middle of its first tick: nothing was accepted, the tick stays `started`.
        const first = yield* spawn({ ...env, CHILD_OWNER: "first", CHILD_TICK_DELAY_MS: "60000" })
        yield* until(Effect.sync(() => first.output().includes("TICK_STARTED")))
        yield* first.kill
        const afterTick = yield* sql<{ runs: number; started: number }>`
          select (select count(*)::int from sensor_runs) as runs,
                 (select count(*)::int from sensor_ticks where status = 'started') as started`
        assert.deepStrictEqual(afterTick[0], { runs: 0, started: 1 })

        // 2. Killed while runs execute (each run takes a while).
        const second = yield* spawn({ ...env, CHILD_OWNER: "second", CHILD_RUN_DELAY_MS: "400" })
        yield* until(Effect.sync(() => second.output().includes("RUN_STARTED")))
        yield* second.kill
        const unfinished = yield* sql<{ n: number }>`
          select count(*)::int as n from sensor_runs where status in ('requested', 'running')`
        assert.isAbove(unfinished[0]!.n, 0)

        // 3. A restart finishes the work.
        const third = yield* spawn({ ...env, CHILD_OWNER: "third" })
        yield* until(
          sql<{ n: number }>`select count(*)::int as n from processed`.pipe(Effect.map((rows) => rows[0]!.n === ITEMS))
        )
        yield* until(
          sql<{ mtime: number | null; open: number }>`
            select (cursor->>'mtimeMs')::float8 as mtime,
                   (select count(*)::int from sensor_runs where status <> 'succeeded') as open
            from sensor_state where sensor = 'bronze.crash'`.pipe(
            Effect.map((rows) => rows[0]?.mtime === 1_000_000 + (ITEMS - 1) * 1000 && rows[0]?.open === 0)
          )
        )
        yield* third.kill

        const times = yield* sql<{ itemKey: string; times: number }>`
          select item_key, times from processed order by item_key`
        assert.strictEqual(times.length, ITEMS)
        assert.deepStrictEqual(
          times.filter((row) => row.times !== 1),
          []
        )
        const ticks = yield* sql<{ status: string; reason: string | null }>`
          select status, reason from sensor_ticks order by id limit 1`
        assert.strictEqual(ticks[0]!.status, "failed")
        assert.include(ticks[0]!.reason, "abandoned")
      }).pipe(Effect.scoped),
    120_000
  )

  it.live(
    "two runner processes on one database never tick the same sensor at once; the survivor takes over",
    () =>
      Effect.gen(function* () {
        const { context, database, root } = yield* setup
        const sql = yield* Effect.provideContext(SqlClient.use(Effect.succeed), context)
        yield* prepare(root).pipe(Effect.provideContext(context))
        yield* sql`create table tick_log (
          id bigserial primary key, owner text not null, started_at timestamptz not null, finished_at timestamptz)`
        const env = {
          CHILD_DATABASE_URL: Redacted.value(database.url),
          CHILD_BRONZE_ROOT: root,
          CHILD_LEASE_TTL_MS: "500",
          CHILD_GUARD: "1"
        }
        const a = yield* spawn({ ...env, CHILD_OWNER: "a" })
        const b = yield* spawn({ ...env, CHILD_OWNER: "b" })
        const ticksBy = (owner: string) =>
          sql<{ n: number }>`select count(*)::int as n from tick_log where owner = ${owner}`.pipe(
            Effect.map((rows) => rows[0]!.n)
          )
        yield* until(Effect.map(Effect.all([ticksBy("a"), ticksBy("b")]), ([x, y]) => x + y >= 5))
        const [ticksA] = yield* Effect.all([ticksBy("a"), ticksBy("b")])
        // Kill whichever owns the sensor; the other takes over after the lease expires.
        const [owner, survivor] = ticksA > 0 ? [a, "b"] : [b, "a"]
        yield* owner.kill
        // A tick the killed process left unfinished ended, at the latest, now.
        yield* sql`update tick_log set finished_at = clock_timestamp() where finished_at is null`
        const before = yield* ticksBy(survivor)
        yield* until(Effect.map(ticksBy(survivor), (n) => n >= before + 5))
        const overlaps = yield* sql<{ n: number }>`
          select count(*)::int as n from tick_log x join tick_log y
            on x.owner <> y.owner and x.started_at < y.finished_at and y.started_at < x.finished_at`
        assert.strictEqual(overlaps[0]!.n, 0)
        const times = yield* sql<{ n: number }>`select count(*)::int as n from processed where times <> 1`
        assert.strictEqual(times[0]!.n, 0)
      }).pipe(Effect.scoped),
    120_000
  )
})
