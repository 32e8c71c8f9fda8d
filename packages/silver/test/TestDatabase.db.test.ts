import { assert, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const mode = process.env.MEDALLION_TEST_POSTGRES

layer(TestDatabase.layer)("TestDatabase", (it) => {
  it.effect("runs a real query on a database of its own", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const [row] = yield* sql<{ db: string; answer: number }>`select current_database() as db, 6 * 7 as answer`
      assert.strictEqual(row!.answer, 42)
      assert.match(row!.db, /^medallion_test_[0-9a-f]{12}$/)
    })
  )

  it.effect(`uses the ${mode ?? "unknown"} server`, () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const [row] = yield* sql<{ dataDirectory: string; major: number }>`
        select current_setting('data_directory') as data_directory,
               current_setting('server_version_num')::int / 10000 as major`
      if (mode === "embedded") {
        // The embedded server of this run: PostgreSQL 18, in the run's temporary folder.
        assert.strictEqual(row!.major, 18)
        assert.strictEqual(row!.dataDirectory, process.env.MEDALLION_TEST_POSTGRES_DATA_DIR)
      } else {
        assert.strictEqual(mode, "external")
        assert.notInclude(row!.dataDirectory, "medallion-test-pg-")
      }
    })
  )
})
