/**
 * How far a `reconcile` is: artifacts checked so far. The total is unknown while the store is still
 * being walked (counting it first would be a second full walk); the last report, after the walk, has it.
 */
import { Clock, Effect } from "effect"

export interface ReconcileProgress {
  /** Artifacts checked against the index so far. */
  readonly done: number
  /** Artifacts in the store: known only once the walk is over. */
  readonly total: number | undefined
  readonly elapsedMs: number
}

export type OnProgress = (progress: ReconcileProgress) => Effect.Effect<void>

/** Reports `done` (and `total` when known) to `onProgress`, with the time since `startedAt`; nothing without it. */
export const reporter =
  (onProgress: OnProgress | undefined, startedAt: number) =>
  (done: number, total: number | undefined): Effect.Effect<void> =>
    onProgress === undefined
      ? Effect.void
      : Effect.flatMap(Clock.currentTimeMillis, (now) => onProgress({ done, total, elapsedMs: now - startedAt }))
