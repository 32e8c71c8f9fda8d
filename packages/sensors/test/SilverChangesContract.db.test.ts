/**
 * The silver -> gold contract on PostgreSQL: `SilverChangesSensor` over silver's transaction ids (the double
 * runs it in `SilverChangesContract.test.ts`).
 */
import { layer } from "@effect/vitest"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as SilverChangesSensor from "../src/SilverChangesSensor.ts"
import { contract } from "./SilverChangesContract.ts"

const Repo = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer)))
)

layer(Repo, { timeout: 60_000 })("SilverChangesSensor on PostgreSQL", (it) => {
  contract<SqlClient>(
    (name, body) => it.effect(name, body),
    (cursor, options) =>
      SilverChangesSensor.evaluate({ batchSize: options.batchSize }, cursor as SilverChangesSensor.Cursor, {
        maxRuns: options.maxRuns,
        now: 0
      }),
    SilverChangesSensor.initial
  )
})
