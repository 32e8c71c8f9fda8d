import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { SensorStore } from "../src/SensorStore.ts"
import { contract } from "./SensorStoreContract.ts"

describe("SensorStore.layerTest", () => {
  contract(
    (name, body) => it.effect(name, () => Effect.provide(body(), SensorStore.layerTest)),
    (ms) => TestClock.adjust(ms)
  )
})
