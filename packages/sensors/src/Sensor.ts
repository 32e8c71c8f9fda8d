/**
 * A sensor: a name, a typed cursor and an `evaluate(cursor)` that only decides. It returns run requests
 * (each a deterministic `runKey` and a microbatch of items for the sensor's job) or a skip reason, plus
 * the next cursor. The runner persists the cursor, dedups run keys and hands runs to a launcher.
 */
import { Duration, type Effect, type Schema, type Stream } from "effect"
import type { Job } from "./Job.ts"

export interface RunRequest<Item> {
  /** Deterministic from what the run covers, so re-evaluating after a crash yields the same key. */
  readonly runKey: string
  readonly items: ReadonlyArray<Item>
}

/**
 * Something a tick found and cannot hand to a run (an artifact whose id cannot be resolved, say): the
 * runner records it as a failed item, with its reason, in a quarantine run that is never launched.
 */
export interface Quarantined {
  /** What to show for it (a location, a description); JSON. */
  readonly item: unknown
  readonly reason: string
}

export type Evaluation<C, Item> =
  | {
      readonly _tag: "Runs"
      readonly runs: ReadonlyArray<RunRequest<Item>>
      readonly cursor: C
      /** Shown in the tick history (e.g. a warning that an index was replaced). */
      readonly reason?: string | undefined
      readonly quarantined?: ReadonlyArray<Quarantined> | undefined
      readonly wakeAt?: number | undefined
    }
  | {
      readonly _tag: "Skip"
      readonly reason: string
      readonly cursor: C
      readonly quarantined?: ReadonlyArray<Quarantined> | undefined
      /**
       * When something the tick saw but had to leave (an artifact inside its settle window) becomes ready,
       * epoch milliseconds on the sensor's clock: the runner ticks again then instead of waiting for the
       * next poll. Only the latest tick's answer counts.
       */
      readonly wakeAt?: number | undefined
    }

export interface EvaluationContext {
  /** The most run requests this tick may return; a sensor with more pages with its cursor. */
  readonly maxRuns: number
  /** The sensor's clock at the start of the tick, epoch milliseconds. */
  readonly now: number
}

export interface Sensor<C, Item, E = never, R = never> {
  readonly name: string
  readonly cursor: Schema.Codec<C, unknown>
  readonly initial: C
  readonly evaluate: (cursor: C, context: EvaluationContext) => Effect.Effect<Evaluation<C, Item>, E, R>
  readonly job: Job<Item, unknown, R>
  readonly minInterval: Duration.Duration
  readonly tickTimeout: Duration.Duration
  readonly maxRunsPerTick: number
  readonly maxCursorBytes: number
  /** Signals that wake the sensor before its interval (a filesystem watch, `LISTEN`); polling stays the net. */
  readonly wake?: Stream.Stream<unknown, never, R> | undefined
}

/** Any sensor, for the runner's heterogeneous list. */
// The cursor and item types vary per sensor; each one is consistent with itself by construction.
export type AnySensor<R = never> = Sensor<any, any, any, R>

export const DEFAULT_MIN_INTERVAL = Duration.seconds(30)
export const DEFAULT_TICK_TIMEOUT = Duration.seconds(5)
export const DEFAULT_MAX_RUNS_PER_TICK = 100
/** The same bound silver's `sensor_state` enforces on the stored JSON. */
export const DEFAULT_MAX_CURSOR_BYTES = 65536

export const make = <C, Item, E = never, R = never, JE = never, JR = never>(options: {
  readonly name: string
  readonly cursor: Schema.Codec<C, unknown>
  readonly initial: C
  readonly evaluate: (cursor: C, context: EvaluationContext) => Effect.Effect<Evaluation<C, Item>, E, R>
  readonly job: Job<Item, JE, JR>
  readonly minInterval?: Duration.Input | undefined
  readonly tickTimeout?: Duration.Input | undefined
  readonly maxRunsPerTick?: number | undefined
  readonly maxCursorBytes?: number | undefined
  readonly wake?: Stream.Stream<unknown, never, R | JR> | undefined
}): Sensor<C, Item, E, R | JR> => ({
  name: options.name,
  cursor: options.cursor,
  initial: options.initial,
  evaluate: options.evaluate,
  job: options.job as Job<Item, unknown, R | JR>,
  minInterval: Duration.fromInputUnsafe(options.minInterval ?? DEFAULT_MIN_INTERVAL),
  tickTimeout: Duration.fromInputUnsafe(options.tickTimeout ?? DEFAULT_TICK_TIMEOUT),
  maxRunsPerTick: options.maxRunsPerTick ?? DEFAULT_MAX_RUNS_PER_TICK,
  maxCursorBytes: options.maxCursorBytes ?? DEFAULT_MAX_CURSOR_BYTES,
  wake: options.wake
})

/** A run request helper for `evaluate`. */
export const runs = <C, Item>(
  requests: ReadonlyArray<RunRequest<Item>>,
  cursor: C,
  reason?: string,
  quarantined?: ReadonlyArray<Quarantined>,
  wakeAt?: number
): Evaluation<C, Item> => ({ _tag: "Runs", runs: requests, cursor, reason, quarantined, wakeAt })

/** A skip helper for `evaluate`: nothing to run; the cursor still advances to `cursor`. */
export const skip = <C, Item = never>(
  reason: string,
  cursor: C,
  quarantined?: ReadonlyArray<Quarantined>,
  wakeAt?: number
): Evaluation<C, Item> => ({
  _tag: "Skip",
  reason,
  cursor,
  quarantined,
  wakeAt
})
