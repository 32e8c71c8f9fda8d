/**
 * A real queue worker process for the crash test: the test sensor's job on the test database, executed by
 * a `QueueWorker`. With `CHILD_BLOCK=1` every run hangs once started (it prints `RUN_STARTED`), so the
 * test can SIGKILL the process while it holds jobs. Settings come from the environment.
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { SqlSensorStore } from "@medallion/sensors"
import { Effect, Layer, Redacted, String as Str } from "effect"
import * as QueueWorker from "../../src/QueueWorker.ts"
import * as TestSensor from "../TestSensor.ts"

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is required`)
  return value
}

const url = Redacted.make(env("CHILD_DATABASE_URL"))
const name = env("CHILD_NAME")
const sensor = TestSensor.make({
  total: Number(env("CHILD_TOTAL")),
  batchSize: Number(env("CHILD_BATCH_SIZE")),
  worker: name,
  block: env("CHILD_BLOCK", "") === "1",
  onRunStarted: Effect.sync(() => void process.stdout.write("RUN_STARTED\n"))
})

const Database = PgClient.layer({ url, transformResultNames: Str.snakeToCamel, maxConnections: 6 })
const Worker = QueueWorker.layer([sensor], {
  connectionString: url,
  concurrency: 2,
  pollInterval: "100 millis",
  heartbeatInterval: "500 millis",
  deadAfter: "3 seconds"
}).pipe(
  Layer.tap(() => Effect.sync(() => void process.stdout.write("WORKER_STARTED\n"))),
  Layer.provide(SqlSensorStore.layer),
  Layer.provide(Database)
)

NodeRuntime.runMain(Layer.launch(Worker))
