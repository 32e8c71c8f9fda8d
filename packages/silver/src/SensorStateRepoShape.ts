/**
 * The contract of `SensorStateRepo`. Kept apart from the service so that both
 * implementations (PostgreSQL and in-memory) depend on it without depending
 * on each other.
 */
import type { Duration, Effect, Option, Schema } from "effect"
import type * as SensorState from "./SensorState.ts"
import type { RepoError } from "./SilverError.ts"

export interface SensorStateRepoShape {
  /** The sensor's cursor decoded with its Schema; none before the first `putCursor`. */
  readonly getCursor: <A, I>(
    sensor: string,
    schema: Schema.Codec<A, I>
  ) => Effect.Effect<Option.Option<A>, SensorState.CursorInvalid | RepoError>
  /** Stores the cursor encoded with its Schema; refuses one larger than `MAX_CURSOR_BYTES`. */
  readonly putCursor: <A, I>(
    sensor: string,
    schema: Schema.Codec<A, I>,
    cursor: A
  ) => Effect.Effect<void, SensorState.CursorTooLarge | SensorState.CursorInvalid | RepoError>
  readonly getState: (sensor: string) => Effect.Effect<Option.Option<SensorState.SensorStateRow>, RepoError>
  readonly listStates: Effect.Effect<ReadonlyArray<SensorState.SensorStateRow>, RepoError>
  /** Pauses or resumes a sensor (a sensor with no state yet gets a `null` cursor). */
  readonly setPaused: (sensor: string, paused: boolean) => Effect.Effect<void, RepoError>

  /** Records the start of a tick; returns its id. */
  readonly startTick: (
    sensor: string,
    cursorBefore: unknown
  ) => Effect.Effect<number, SensorState.InvalidSensorInput | RepoError>
  /** Records how a tick ended; its duration is measured from its start with the Clock. */
  readonly finishTick: (id: number, finish: SensorState.TickFinish) => Effect.Effect<void, RepoError>
  readonly recentTicks: (options: {
    readonly sensor?: string | undefined
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<SensorState.TickRow>, RepoError>

  /** Which of these run keys the sensor has already recorded: one query for the whole list. */
  readonly existingRunKeys: (
    sensor: string,
    runKeys: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlySet<string>, RepoError>
  /** Records run requests as `requested`; a run key already recorded is left as it is. Returns the keys inserted. */
  readonly insertRuns: (
    sensor: string,
    runs: ReadonlyArray<SensorState.RunRequest>
  ) => Effect.Effect<ReadonlyArray<string>, SensorState.InvalidSensorInput | RepoError>
  /** Moves a run to `running` (counting an attempt), `succeeded` or `failed` (with the error). */
  readonly markRun: (
    sensor: string,
    runKey: string,
    status: Exclude<SensorState.RunStatus, "requested">,
    error?: string
  ) => Effect.Effect<void, SensorState.RunNotFound | RepoError>
  readonly listRuns: (options: {
    readonly sensor: string
    readonly status?: SensorState.RunStatus | undefined
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<SensorState.RunRow>, RepoError>
  /** Puts failed runs (all of the sensor's, or the given keys) back to `requested`; returns their keys. */
  readonly retryFailedRuns: (
    sensor: string,
    runKeys?: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<string>, RepoError>

  /** Keeps the newest `keepPerSensor` ticks of each sensor and drops ticks older than `maxAge`. */
  readonly pruneTicks: (options: {
    readonly keepPerSensor?: number | undefined
    readonly maxAge?: Duration.Input | undefined
  }) => Effect.Effect<number, RepoError>
  /** Drops finished runs older than the given ages (failed runs are kept unless `failedMaxAge` is given). */
  readonly pruneRuns: (options: {
    readonly succeededMaxAge?: Duration.Input | undefined
    readonly failedMaxAge?: Duration.Input | undefined
  }) => Effect.Effect<number, RepoError>

  /**
   * Runs `effect` in one transaction holding the sensor's lock (one tick per
   * sensor at a time, across processes). Everything the effect writes through
   * these repositories (cursor, runs, tick) commits together or not at all.
   * None when another process holds the lock.
   */
  readonly withSensorLock: <A, E, R>(
    sensor: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E | RepoError, R>
}
