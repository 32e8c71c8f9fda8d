/**
 * The `SensorRunner` contract on the double: `SensorRunner.layerTest`, no database, on the TestClock (the
 * real runner runs it in `SensorRunnerContract.db.test.ts`).
 */
import { describe, it } from "@effect/vitest"
import * as SensorRunner from "../src/SensorRunner.ts"
import { contract } from "./SensorRunnerContract.ts"

describe("SensorRunner.layerTest", () => {
  contract<never>(
    (name, body) => it.effect(name, body),
    (sensor) => SensorRunner.layerTest([sensor])
  )
})
