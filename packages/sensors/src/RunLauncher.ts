/**
 * The seam between a tick, which decides, and whatever executes runs.
 *
 * The runner calls `accept` INSIDE the tick's transaction (the in-process launcher records the runs as
 * `requested` there; the queue launcher of `@medallion/queue` enqueues its jobs there, so a rollback leaves nothing
 * behind) and `start` after the commit. `cursorCommit` says who advances the persisted cursor:
 * - `"watermark"`: the runner does, as the low watermark of the runs `start` reports finished
 *   (the in-process launcher: its runs die with the process, so the cursor must wait for them);
 * - `"accept"`: the runner writes the cursor in the accept transaction itself (a durable queue: once
 *   its jobs are enqueued, they survive a crash, so the cursor may move at once).
 */
import { Array as Arr, Context, Effect, type Scope } from "effect"
import type { JobResult } from "./Job.ts"
import type { SensorStoreError } from "./SensorErrors.ts"
import type { SensorStoreShape } from "./SensorStore.ts"

/** One run as the launcher sees it: what to record and how to execute it. */
export interface LaunchRun {
  readonly sensor: string
  readonly runKey: string
  /** The microbatch, encoded with the job's item schema (JSON). */
  readonly items: ReadonlyArray<unknown>
  /** Runs the job on the microbatch; failures carry encoded items. */
  readonly execute: (items: ReadonlyArray<unknown>) => Effect.Effect<JobResult<unknown>, unknown>
}

export interface RunLauncherShape {
  readonly cursorCommit: "watermark" | "accept"
  /** Called inside the tick's transaction with the runs that are new (after dedup). */
  readonly accept: (runs: ReadonlyArray<LaunchRun>) => Effect.Effect<void, SensorStoreError>
  /**
   * Called after commit, on recovery and on explicit retry: begins executing the runs in `scope` and
   * returns at once. `onFinished` is called once per run when it succeeded or failed for good.
   */
  readonly start: (
    runs: ReadonlyArray<LaunchRun>,
    onFinished: (runKey: string) => Effect.Effect<void>
  ) => Effect.Effect<void, never, Scope.Scope>
}

export class RunLauncher extends Context.Service<RunLauncher, RunLauncherShape>()("@medallion/sensors/RunLauncher") {}

/** Records `runs` as requested, one insert per sensor: what every launcher's `accept` does first. */
export const recordRuns = (
  store: SensorStoreShape,
  runs: ReadonlyArray<LaunchRun>
): Effect.Effect<void, SensorStoreError> =>
  Effect.forEach(
    Object.entries(Arr.groupBy(runs, (run) => run.sensor)),
    ([sensor, group]) =>
      store.insertRuns(
        sensor,
        group.map((run) => ({ runKey: run.runKey, items: run.items }))
      ),
    { discard: true }
  )
