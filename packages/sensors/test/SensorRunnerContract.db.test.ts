/**
 * The `SensorRunner` contract on the real runner: `SensorRunner.layer` on `SqlSensorStore.layer` (a fresh
 * PostgreSQL database for the file, migrated by silver) with `InProcessLauncher.layer`, on the real clock,
 * ticking on its schedule as in production (the double runs it in `SensorRunnerContract.test.ts`).
 */
import { describe, layer } from "@effect/vitest"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import * as SqlSensorStore from "../src/SqlSensorStore.ts"
import { contract } from "./SensorRunnerContract.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

describe("SensorRunner.layer", () => {
  layer(Database, { timeout: 60_000, excludeTestServices: true })((it) => {
    contract<SqlClient>(
      (name, body) => it.effect(name, body),
      (sensor) =>
        SensorRunner.layer([sensor]).pipe(
          Layer.provideMerge(InProcessLauncher.layer()),
          Layer.provideMerge(SqlSensorStore.layer)
        )
    )
  })
})
