import { describe, layer } from "@effect/vitest"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"
import { contract } from "./SensorStoreContract.ts"

export const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

// Lease expiry is decided by the database clock, so the test waits in real time (past a 1 ms lease).
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe("SqlSensorStore", () => {
  layer(SqlSensorStore.layer.pipe(Layer.provideMerge(Database)), { timeout: 60_000 })((it) => {
    contract((name, body) => it.effect(name, body), realSleep)
  })
})
