import { assert, describe, layer } from "@effect/vitest"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { SensorStore } from "../src/SensorStore.ts"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"
import { contract } from "./SensorStoreContract.ts"

export const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

// Lease expiry is decided by the database clock, so the test waits in real time (past a 1 ms lease).
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe("SqlSensorStore", () => {
  layer(SqlSensorStore.layer.pipe(Layer.provideMerge(Database)), { timeout: 60_000 })((it) => {
    contract((name, body) => it.effect(name, body), realSleep)

    it.effect("a row that does not match its Schema fails the read, naming the column, instead of passing on", () =>
      Effect.gen(function* () {
        const store = yield* SensorStore
        const sql = yield* SqlClient
        yield* store.insertRuns("decoded", [{ runKey: "r1", items: [1] }])
        // Written by something else than the store: per-item failures that are not a list.
        yield* sql`update sensor_runs set failures = '{"not": "a list"}'::jsonb where sensor = 'decoded'`
        const error = yield* Effect.flip(store.getRun("decoded", "r1"))
        assert.strictEqual(error._tag, "SensorStoreError")
        assert.include(error.message, "failures")
      })
    )
  })
})
