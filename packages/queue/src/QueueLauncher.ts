/**
 * The durable launcher: a tick's runs become graphile-worker jobs in the tick's own transaction, together
 * with their `sensor_runs` records and the cursor write (`cursorCommit: "accept"`). A rolled-back tick
 * leaves no job, no run and no cursor move; a committed one survives any crash, and any number of
 * `QueueWorker`s on the same database execute its runs.
 *
 * `start` (recovery, explicit retry) re-queues runs that are still unfinished; a run whose job is queued
 * or running is left alone. The runner's in-flight bookkeeping ends as soon as the runs are queued: the
 * queue owns them from then on.
 */
import { PgClient } from "@effect/sql-pg"
import { type LaunchRun, recordRuns, RunLauncher, SensorStore, SensorStoreError } from "@medallion/sensors"
import { Effect, Layer, type Redacted } from "effect"
import { QueueError } from "./QueueError.ts"
import * as QueueLauncherTest from "./QueueLauncherTest.ts"
import * as RunJobs from "./RunJobs.ts"

export interface QueueLauncherOptions {
  /** Where to install graphile-worker's schema (default: the URL of the `PgClient` in context). */
  readonly connectionString?: Redacted.Redacted<string> | undefined
  /** Attempts of a run's job before it is dead (default 5). Give the workers the same value. */
  readonly maxAttempts?: number | undefined
}

export const make = Effect.fnUntraced(function* (options: QueueLauncherOptions = {}) {
  const store = yield* SensorStore
  const sql = yield* PgClient.PgClient
  const maxAttempts = options.maxAttempts ?? RunJobs.DEFAULT_MAX_ATTEMPTS
  const connectionString = options.connectionString ?? sql.config.url
  if (connectionString === undefined) {
    return yield* new QueueError({
      operation: "installSchema",
      cause: new Error("no connection string: pass connectionString, or a PgClient configured with a url")
    })
  }
  yield* RunJobs.installSchema(connectionString)

  const accept = (runs: ReadonlyArray<LaunchRun>) =>
    Effect.gen(function* () {
      yield* recordRuns(store, runs)
      yield* RunJobs.add(sql, runs, maxAttempts).pipe(
        Effect.mapError((cause) => new SensorStoreError({ operation: "enqueue", cause }))
      )
    })

  return RunLauncher.of({
    cursorCommit: "accept",
    accept,
    start: (runs, onFinished) =>
      RunJobs.requeue(sql, runs, maxAttempts).pipe(
        // The runs stay recorded as unfinished: the next owner's recovery, or a retry, queues them again.
        Effect.catch((error) => Effect.logError("runs could not be queued again", { error })),
        Effect.andThen(Effect.forEach(runs, (run) => onFinished(run.runKey), { discard: true }))
      )
  })
})

/**
 * The queue launcher, with `SensorStore` and the `PgClient` from the context. Building it installs
 * graphile-worker's schema, so ticks can enqueue before any worker has started.
 */
export const layer = (
  options?: QueueLauncherOptions
): Layer.Layer<RunLauncher, QueueError, SensorStore | PgClient.PgClient> => Layer.effect(RunLauncher, make(options))

/** The double, with the queue in memory and its jobs executed in this process (see `QueueLauncherTest`). */
export const layerTest = QueueLauncherTest.layer
