/**
 * A real runner process for the crash tests: the bronze -> silver scan sensor over a bronze folder, the
 * SQL store on the test database, the in-process launcher, and a job that counts executions per item in
 * `processed` (in the run's transaction). Prints `TICK_STARTED` / `RUN_STARTED` so the test knows when
 * to SIGKILL it. Settings come from the environment.
 */
import { FileSystemBronze, ItemKey } from "@medallion/bronze"
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted, String as Str } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as BronzeSensor from "../../src/BronzeSensor.ts"
import * as InProcessLauncher from "../../src/InProcessLauncher.ts"
import * as Job from "../../src/Job.ts"
import * as Sensor from "../../src/Sensor.ts"
import * as SensorRunner from "../../src/SensorRunner.ts"
import * as SqlSensorStore from "../../src/SqlSensorStore.ts"

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is required`)
  return value
}

const tickDelayMs = Number(env("CHILD_TICK_DELAY_MS", "0"))
const runDelayMs = Number(env("CHILD_RUN_DELAY_MS", "0"))
const guard = env("CHILD_GUARD", "") === "1"
const owner = env("CHILD_OWNER")
const announce = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))

const job = Job.make({
  name: "count",
  item: ItemKey,
  run: (items: ReadonlyArray<ItemKey>) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      yield* announce("RUN_STARTED")
      if (runDelayMs > 0) yield* Effect.sleep(runDelayMs)
      for (const item of items) {
        yield* sql`insert into processed (item_key, times) values (${`${item.sourceType}/${item.externalId}`}, 1)
                   on conflict (item_key) do update set times = processed.times + 1`
      }
      return { failures: [] }
    }).pipe(Effect.orDie)
})

const base = BronzeSensor.scan({
  name: "bronze.crash",
  job,
  batchSize: 2,
  maxRunsPerTick: 3,
  settle: 0,
  reconcileEvery: null,
  minInterval: "200 millis"
})

// The same sensor, with a slow tick when asked (to be killed during it).
const sensor = Sensor.make({
  ...base,
  evaluate: (cursor, context) =>
    Effect.gen(function* () {
      yield* announce("TICK_STARTED")
      if (guard) {
        // Each tick's interval on the database clock, to find overlaps between processes.
        const sql = yield* SqlClient
        const [row] = yield* sql<{ id: string }>`
          insert into tick_log (owner, started_at) values (${owner}, clock_timestamp()) returning id`.pipe(Effect.orDie)
        yield* Effect.sleep(50)
        yield* sql`update tick_log set finished_at = clock_timestamp() where id = ${row!.id}`.pipe(Effect.orDie)
      }
      if (tickDelayMs > 0) yield* Effect.sleep(tickDelayMs)
      return yield* base.evaluate(cursor, context)
    }),
  tickTimeout: "30 seconds"
})

const Database = PgClient.layer({
  url: Redacted.make(env("CHILD_DATABASE_URL")),
  transformResultNames: Str.snakeToCamel,
  maxConnections: 4
})
const Store = SqlSensorStore.layer.pipe(Layer.provide(Database))
const Launcher = InProcessLauncher.layer({ concurrency: 2, retryBase: "50 millis" }).pipe(Layer.provide(Store))
const Runner = SensorRunner.layer([sensor], {
  owner,
  leaseTtl: Duration.millis(Number(env("CHILD_LEASE_TTL_MS", "1000"))),
  acquireInterval: "100 millis",
  wakeFloor: "50 millis"
}).pipe(
  Layer.provide([Launcher, Store, Database]),
  Layer.provide(FileSystemBronze.layerReaderWith({ root: env("CHILD_BRONZE_ROOT"), catalog: "scan" }))
)

NodeRuntime.runMain(Layer.launch(Runner))
