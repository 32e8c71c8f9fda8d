/**
 * Runs in this process: bounded concurrency, retries with exponential backoff and jitter, status and
 * per-item failures recorded in `sensor_runs`. The job's writes and the run's final status commit in one
 * transaction (when the job writes through the same database), so a run killed half-way is rolled back
 * and relaunched, and a finished run is never executed again.
 *
 * Its runs die with the process, so it advances the cursor as a watermark (`cursorCommit: "watermark"`).
 */
import { Duration, Effect, Layer, Metric, Schedule, Scope, Semaphore } from "effect"
import { reasonOf, summarize } from "./FailureReason.ts"
import { type LaunchRun, recordRuns, RunLauncher } from "./RunLauncher.ts"
import { itemFailures, runDuration, runsFinished } from "./RunMetrics.ts"
import { RunTimedOut } from "./SensorErrors.ts"
import { SensorStore } from "./SensorStore.ts"

export interface InProcessLauncherOptions {
  /** Runs executing at once, across all sensors of the process (default 4). */
  readonly concurrency?: number | undefined
  /** Attempts per run before it is recorded as failed (default 3). */
  readonly maxAttempts?: number | undefined
  /** First retry delay; doubles per attempt, with jitter, capped at `retryCap` (defaults 1 s, 30 s). */
  readonly retryBase?: Duration.Input | undefined
  readonly retryCap?: Duration.Input | undefined
  /**
   * The longest one attempt of a run may take (default 10 minutes, as the queue's `runTimeout`): past it
   * the attempt is interrupted and rolled back, and the run is retried, then recorded failed with the reason.
   */
  readonly runTimeout?: Duration.Input | undefined
}

export const DEFAULT_RUN_TIMEOUT = Duration.minutes(10)

export const make = Effect.fnUntraced(function* (options: InProcessLauncherOptions = {}) {
  const store = yield* SensorStore
  const semaphore = yield* Semaphore.make(options.concurrency ?? 4)
  const retries = Schedule.min([
    Schedule.exponential(options.retryBase ?? Duration.seconds(1)),
    Schedule.spaced(options.retryCap ?? Duration.seconds(30))
  ]).pipe(Schedule.jittered, Schedule.upTo({ times: Math.max(0, (options.maxAttempts ?? 3) - 1) }))
  const runTimeout = Duration.fromInputUnsafe(options.runTimeout ?? DEFAULT_RUN_TIMEOUT)

  const attempt = (run: LaunchRun) =>
    Effect.gen(function* () {
      yield* store.updateRun(run.sensor, run.runKey, { status: "running" })
      yield* store.withTransaction(
        Effect.gen(function* () {
          const result = yield* run.execute(run.items).pipe(
            Effect.timeoutOrElse({
              duration: runTimeout,
              orElse: () =>
                Effect.fail(
                  new RunTimedOut({
                    sensor: run.sensor,
                    runKey: run.runKey,
                    message: `the run did not finish within ${Duration.format(runTimeout)}; it is given up and retried`
                  })
                )
            })
          )
          yield* Metric.update(
            Metric.withAttributes(runsFinished, {
              sensor: run.sensor,
              status: result.failures.length === 0 ? "succeeded" : "failed"
            }),
            1
          )
          if (result.failures.length > 0) {
            yield* Metric.update(Metric.withAttributes(itemFailures, { sensor: run.sensor }), result.failures.length)
          }
          yield* store.updateRun(
            run.sensor,
            run.runKey,
            result.failures.length === 0
              ? { status: "succeeded", error: null, failures: [] }
              : { status: "failed", error: summarize(result, run.items.length), failures: result.failures }
          )
        })
      )
    }).pipe(Effect.sandbox, Effect.mapError(reasonOf))

  const execute = (run: LaunchRun, onFinished: (runKey: string) => Effect.Effect<void>) =>
    attempt(run).pipe(
      Effect.tapError((error) =>
        Effect.logWarning("run attempt failed", { sensor: run.sensor, runKey: run.runKey, error })
      ),
      Effect.retry(retries),
      Effect.catch((error) =>
        // Recording the failure must not be lost to a brief database outage either.
        store.updateRun(run.sensor, run.runKey, { status: "failed", error }).pipe(Effect.retry(retries))
      ),
      Effect.andThen(onFinished(run.runKey)),
      Effect.timed,
      Effect.flatMap(([duration]) =>
        Metric.update(Metric.withAttributes(runDuration, { sensor: run.sensor }), duration)
      ),
      // A run whose status could not be recorded stays unfinished: the next owner relaunches it.
      Effect.catch((error) => Effect.logError("run status could not be recorded", { runKey: run.runKey, error })),
      semaphore.withPermit,
      Effect.annotateLogs({ sensor: run.sensor, runKey: run.runKey }),
      Effect.withSpan("InProcessLauncher.run", { attributes: { sensor: run.sensor, runKey: run.runKey } })
    )

  return RunLauncher.of({
    cursorCommit: "watermark",
    accept: (runs) => recordRuns(store, runs),
    start: (runs, onFinished) =>
      Effect.gen(function* () {
        const scope = yield* Scope.Scope
        for (const run of runs) yield* Effect.forkIn(execute(run, onFinished), scope)
      })
  })
})

/** The in-process launcher, with `SensorStore` from the context. */
export const layer = (options?: InProcessLauncherOptions): Layer.Layer<RunLauncher, never, SensorStore> =>
  Layer.effect(RunLauncher, make(options))
