import { assert, describe, it, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Exit, String as Str } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql/SqlClient"
import { migrations as silverMigrations, statements } from "../src/migrations/index.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"

const tables = Effect.gen(function* () {
  const sql = yield* SqlClient
  const rows = yield* sql<{ tableName: string }>`
    select table_name from information_schema.tables where table_schema = 'public' order by table_name`
  return rows.map((row) => row.tableName)
})

describe("SilverMigrator", () => {
  layer(TestDatabase.layer)("on one database", (it) => {
    it.effect("applies every migration once, then nothing", () =>
      Effect.gen(function* () {
        const first = yield* SilverMigrator.run()
        assert.deepStrictEqual(
          first.map((m) => `${String(m.id).padStart(4, "0")}_${m.name}`),
          Object.keys(silverMigrations)
        )
        const second = yield* SilverMigrator.run()
        assert.deepStrictEqual(second, [])
        const names = yield* tables
        for (const table of [
          "items",
          "item_artifacts",
          "comments",
          "transcript_segments",
          "media",
          "enrichments",
          "sensor_state",
          "sensor_ticks",
          "sensor_runs",
          "medallion_migrations"
        ]) {
          assert.include(names, table)
        }
      })
    )

    it.effect("applies a migration merged out of order instead of skipping it", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const create = (name: string) => statements(`create table ${name} (id int)`)
        const table = "gold_migrations_out_of_order"
        yield* SilverMigrator.run({ table, migrations: { "1_gold_a": create("gold_a"), "3_gold_c": create("gold_c") } })
        const applied = yield* SilverMigrator.run({
          table,
          migrations: { "1_gold_a": create("gold_a"), "2_gold_b": create("gold_b"), "3_gold_c": create("gold_c") }
        })
        assert.deepStrictEqual(applied, [{ id: 2, name: "gold_b" }])
        const rows = yield* sql<{ id: number }>`select id from gold_migrations_out_of_order order by id`
        assert.deepStrictEqual(
          rows.map((r) => r.id),
          [1, 2, 3]
        )
      })
    )

    it.effect("refuses a migration whose recorded name differs", () =>
      Effect.gen(function* () {
        const table = "gold_migrations_renamed"
        yield* SilverMigrator.run({ table, migrations: { "1_first": statements("select 1") } })
        const error = yield* Effect.flip(
          SilverMigrator.run({ table, migrations: { "1_other": statements("select 1") } })
        )
        assert.strictEqual(error._tag, "MigrationFailed")
        assert.include(error.message, `recorded as "first"`)
      })
    )

    it.effect("rolls back the whole run when a migration fails", () =>
      Effect.gen(function* () {
        const table = "gold_migrations_failing"
        const exit = yield* Effect.exit(
          SilverMigrator.run({
            table,
            migrations: {
              "1_good": statements("create table gold_good (id int)"),
              "2_bad": statements("create table gold_bad (id int)", "select no_such_column from gold_bad")
            }
          })
        )
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(
          SilverMigrator.run({
            table,
            migrations: { "1_good": statements("select 1"), "2_bad": statements("select x") }
          })
        )
        assert.strictEqual(error._tag, "MigrationFailed")
        if (error._tag === "MigrationFailed") assert.strictEqual(error.migration, "0002_bad")
        const names = yield* tables
        assert.notInclude(names, "gold_good")
        assert.notInclude(names, "gold_bad")
      })
    )

    it.effect("rejects malformed keys and duplicate ids before touching the database", () =>
      Effect.gen(function* () {
        const bad = yield* Effect.flip(
          SilverMigrator.run({ table: "x_migrations", migrations: { first: statements() } })
        )
        assert.include(bad.message, "is not <number>_<snake_case_name>")
        const duplicate = yield* Effect.flip(
          SilverMigrator.run({ table: "x_migrations", migrations: { "1_a": statements(), "01_b": statements() } })
        )
        assert.include(duplicate.message, "share the id 1")
        assert.notInclude(yield* tables, "x_migrations")
      })
    )
  })

  it.live(
    "two processes migrating one database at once apply each migration exactly once",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase()
        // Separate pools, as two daemons starting together would have.
        const migrator = Effect.gen(function* () {
          const client = yield* PgClient.make({ url: database.url, transformResultNames: Str.snakeToCamel })
          return yield* SilverMigrator.run().pipe(Effect.provideService(SqlClient, client))
        }).pipe(Effect.scoped, Effect.provide(Reactivity.layer))
        const results = yield* Effect.all([migrator, migrator, migrator, migrator], { concurrency: "unbounded" })
        const applied = results.flat().map((m) => m.id)
        const all = Object.keys(silverMigrations).map((key) => Number(key.split("_")[0]))
        assert.deepStrictEqual(
          applied.toSorted((a, b) => a - b),
          all
        )
        const recorded = yield* Effect.gen(function* () {
          const client = yield* PgClient.make({ url: database.url })
          return yield* client<{ id: number }>`select id from medallion_migrations order by id`
        }).pipe(Effect.scoped, Effect.provide(Reactivity.layer))
        assert.deepStrictEqual(
          recorded.map((r) => r.id),
          all
        )
      }).pipe(Effect.scoped),
    60_000
  )
})
