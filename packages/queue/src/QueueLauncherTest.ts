/**
 * The queue launcher's double, for tests with no database: the same hand-off as `QueueLauncher.layer`
 * (a tick's runs recorded in its own transaction, the cursor moving with them: `cursorCommit: "accept"`),
 * with the queue in memory and its jobs executed in this process the way a `QueueWorker` executes them:
 * a run still unfinished is marked running, executed on the items recorded with it (only the failed ones
 * once it has failures), and recorded succeeded or failed with its per-item failures in the job's
 * transaction; an attempt that fails is retried (no delay) up to `maxAttempts`, then the run is recorded
 * failed with the reason. `EnqueuedRuns` lists what was enqueued and waits for the queue to drain.
 *
 * One difference remains: the real queue holds a run's job from the tick's commit, the double from `start`
 * (which the runner calls right after the commit), so a hand-off committed without `start` stays requested
 * here until a recovery starts it.
 */
import { FailureReason, type LaunchRun, recordRuns, RunLauncher, SensorStore } from "@medallion/sensors"
import { Context, Effect, FiberSet, Layer } from "effect"
import * as RunJobs from "./RunJobs.ts"

export interface EnqueuedRun {
  readonly sensor: string
  readonly runKey: string
  /** The microbatch as it was handed to the queue (encoded). */
  readonly items: ReadonlyArray<unknown>
}

export class EnqueuedRuns extends Context.Service<
  EnqueuedRuns,
  {
    /** Every job enqueued so far, in order (a run relaunched by a retry appears again). */
    readonly all: Effect.Effect<ReadonlyArray<EnqueuedRun>>
    /** Waits until no job is queued or executing. */
    readonly drained: Effect.Effect<void>
  }
>()("@medallion/queue/EnqueuedRuns") {}

export interface QueueLauncherTestOptions {
  /** Attempts of a run's job before it is recorded failed (default 5, as the queue's). */
  readonly maxAttempts?: number | undefined
}

export const make = Effect.fnUntraced(function* (options: QueueLauncherTestOptions = {}) {
  const store = yield* SensorStore
  const jobs = yield* FiberSet.make()
  const maxAttempts = Math.max(1, options.maxAttempts ?? RunJobs.DEFAULT_MAX_ATTEMPTS)
  const enqueued: Array<EnqueuedRun> = []
  const queued = new Set<string>()
  const id = (run: LaunchRun) => `${run.sensor}\u0000${run.runKey}`

  const attempt = (run: LaunchRun) =>
    Effect.gen(function* () {
      const stored = yield* store.getRun(run.sensor, run.runKey)
      // A run finished meanwhile (or pruned) is not touched, as the worker's `status in (...)` guard.
      if (stored._tag === "None" || (stored.value.status !== "requested" && stored.value.status !== "running")) return
      // The job's items are the run's record, as the worker reads them: a retried run redoes its failed items.
      const failures = stored.value.failures
      const items = failures.length > 0 ? failures.map((failure) => failure.item) : stored.value.items
      yield* store.updateRun(run.sensor, run.runKey, { status: "running" })
      yield* store.withTransaction(
        Effect.gen(function* () {
          const result = yield* run.execute(items)
          yield* store.updateRun(
            run.sensor,
            run.runKey,
            result.failures.length === 0
              ? { status: "succeeded", error: null, failures: [] }
              : {
                  status: "failed",
                  error: FailureReason.summarize(result, items.length),
                  failures: result.failures
                }
          )
        })
      )
    }).pipe(Effect.sandbox, Effect.mapError(FailureReason.reasonOf))

  const job = (run: LaunchRun) =>
    Effect.gen(function* () {
      for (let n = 1; ; n++) {
        const exit = yield* Effect.exit(attempt(run))
        if (exit._tag === "Success") return
        if (n >= maxAttempts) {
          const reason = exit.cause.reasons.find((r) => r._tag === "Fail")?.error ?? "the run's job failed"
          return yield* store.updateRun(run.sensor, run.runKey, { status: "failed", error: reason })
        }
      }
    }).pipe(
      Effect.catch((error) => Effect.logError("the queued run could not be recorded", { error })),
      Effect.ensuring(Effect.sync(() => queued.delete(id(run))))
    )

  const enqueue = (runs: ReadonlyArray<LaunchRun>) =>
    Effect.forEach(
      runs.filter((run) => !queued.has(id(run))),
      (run) =>
        Effect.suspend(() => {
          queued.add(id(run))
          enqueued.push({ sensor: run.sensor, runKey: run.runKey, items: run.items })
          return FiberSet.run(jobs, job(run))
        }),
      { discard: true }
    )

  const launcher = RunLauncher.of({
    cursorCommit: "accept",
    accept: (runs) => recordRuns(store, runs),
    // After the commit (and on recovery, or a retry): the runs go to the queue, which owns them from then on.
    start: (runs, onFinished) =>
      Effect.andThen(
        enqueue(runs),
        Effect.forEach(runs, (run) => onFinished(run.runKey), { discard: true })
      )
  })
  const probe = EnqueuedRuns.of({
    all: Effect.sync(() => [...enqueued]),
    drained: FiberSet.awaitEmpty(jobs)
  })
  return Context.make(RunLauncher, launcher).pipe(Context.add(EnqueuedRuns, probe))
})

/** The double, with `SensorStore` from the context (`SensorStore.layerTest` for a test without a database). */
export const layer = (
  options?: QueueLauncherTestOptions
): Layer.Layer<RunLauncher | EnqueuedRuns, never, SensorStore> => Layer.effectContext(make(options))
