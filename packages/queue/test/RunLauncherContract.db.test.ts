/**
 * The `RunLauncher` contract on the real queue: `QueueLauncher.layer` on a fresh PostgreSQL database, its
 * jobs executed by a `QueueWorker` in this process (the double runs it in `RunLauncherContract.test.ts`).
 */
import { describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { SensorStore, SqlSensorStore } from "@medallion/sensors"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import * as QueueLauncher from "../src/QueueLauncher.ts"
import * as QueueWorker from "../src/QueueWorker.ts"
import { type ContractSensor, contract, MAX_ATTEMPTS } from "./RunLauncherContract.ts"

/** How long `settled` waits for the queue before the case fails (a retry waits graphile's backoff first). */
const SETTLE_TIMEOUT = "40 seconds"

const Store = SqlSensorStore.layer.pipe(
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const worker = (sensor: ContractSensor) =>
  Layer.unwrap(
    Effect.map(PgClient.PgClient, (sql) =>
      QueueWorker.layer([sensor], {
        connectionString: sql.config.url!,
        concurrency: 2,
        pollInterval: "100 millis",
        heartbeatInterval: "500 millis",
        deadAfter: "10 seconds"
      })
    )
  )

/** Polls until the sensor has no unfinished run and no job is held by a worker (a finished job is deleted). */
const settled = (sensor: string) =>
  Effect.gen(function* () {
    const store = yield* SensorStore
    const sql = yield* PgClient.PgClient
    const busy = Effect.gen(function* () {
      const unfinished = yield* store.unfinishedRuns(sensor)
      const [held] = yield* sql<{ readonly count: number }>`
        select count(*)::int as count from graphile_worker._private_jobs where locked_at is not null`
      return unfinished.length > 0 || held!.count > 0
    })
    while (yield* busy) yield* Effect.sleep("50 millis")
  }).pipe(
    Effect.timeoutOrElse({
      duration: SETTLE_TIMEOUT,
      orElse: () => Effect.die(`the queue did not settle within ${SETTLE_TIMEOUT}`)
    })
  )

describe("QueueLauncher.layer", () => {
  contract((name, body) => it.live(name, body, 60_000), {
    layer: (sensor) =>
      worker(sensor).pipe(
        Layer.provideMerge(QueueLauncher.layer({ maxAttempts: MAX_ATTEMPTS })),
        Layer.provideMerge(Store)
      ),
    settled
  })
})
