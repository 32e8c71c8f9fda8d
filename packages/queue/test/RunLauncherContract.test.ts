/**
 * The `RunLauncher` contract on the queue's double, `QueueLauncher.layerTest` on `SensorStore.layerTest`: no
 * database, on the TestClock (the real queue runs it in `RunLauncherContract.db.test.ts`).
 */
import { describe, it } from "@effect/vitest"
import { SensorStore } from "@medallion/sensors"
import { Layer } from "effect"
import * as QueueLauncher from "../src/QueueLauncher.ts"
import { EnqueuedRuns } from "../src/QueueLauncherTest.ts"
import { contract, MAX_ATTEMPTS } from "./RunLauncherContract.ts"

describe("QueueLauncher.layerTest", () => {
  contract((name, body) => it.effect(name, body), {
    layer: () => QueueLauncher.layerTest({ maxAttempts: MAX_ATTEMPTS }).pipe(Layer.provideMerge(SensorStore.layerTest)),
    settled: () => EnqueuedRuns.use((queue) => queue.drained)
  })
})
