/**
 * The silver -> gold contract on the double: `SilverChangesSensorTest` over `ItemRepo.layerTest` (the
 * real sensor runs it in `SilverChangesContract.db.test.ts`).
 */
import { layer } from "@effect/vitest"
import { ItemRepo } from "@medallion/silver"
import * as SilverChangesSensorTest from "../src/SilverChangesSensorTest.ts"
import { contract } from "./SilverChangesContract.ts"

layer(ItemRepo.layerTest)("SilverChangesSensorTest on ItemRepo.layerTest", (it) => {
  contract<ItemRepo>(
    (name, body) => it.effect(name, body),
    (cursor, options) =>
      SilverChangesSensorTest.evaluate({ batchSize: options.batchSize }, cursor as SilverChangesSensorTest.Cursor, {
        maxRuns: options.maxRuns,
        now: 0
      }),
    SilverChangesSensorTest.initial
  )
})
