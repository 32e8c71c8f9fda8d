/**
 * The sensors' persisted state as silver stores it (tables `sensor_state`,
 * `sensor_ticks`, `sensor_runs`): what goes in and comes out of
 * `SensorStateRepo`.
 */
import { type DateTime, Schema } from "effect"

export const SensorName = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_.:-]{0,127}$/))

/** Largest cursor, in bytes of its JSON text (as PostgreSQL prints a jsonb value). */
export const MAX_CURSOR_BYTES = 65_536
/** Largest microbatch description of one run, in bytes of JSON. */
export const MAX_ITEM_KEYS_BYTES = 1_048_576

export const TickStatus = Schema.Literals(["started", "success", "skipped", "failed"])
export type TickStatus = typeof TickStatus.Type
export type TickOutcome = Exclude<TickStatus, "started">

export const RunStatus = Schema.Literals(["requested", "running", "succeeded", "failed"])
export type RunStatus = typeof RunStatus.Type

export interface SensorStateRow {
  readonly sensor: string
  /** The cursor as stored (JSON); decode it with the sensor's Schema via `getCursor`. */
  readonly cursor: unknown
  readonly paused: boolean
  readonly updatedAt: DateTime.Utc
}

export interface TickRow {
  readonly id: number
  readonly sensor: string
  readonly status: TickStatus
  readonly reason: string | null
  readonly cursorBefore: unknown
  readonly cursorAfter: unknown
  readonly runKeys: ReadonlyArray<string>
  readonly runCount: number
  readonly startedAt: DateTime.Utc
  readonly finishedAt: DateTime.Utc | null
  readonly durationMs: number | null
}

export interface TickFinish {
  readonly status: TickOutcome
  readonly reason?: string | null | undefined
  readonly cursorAfter?: unknown
  readonly runKeys?: ReadonlyArray<string> | undefined
}

export interface RunRequest {
  readonly runKey: string
  /** The microbatch (item keys) as JSON. */
  readonly itemKeys: unknown
}

export interface RunRow {
  readonly sensor: string
  readonly runKey: string
  readonly status: RunStatus
  readonly attempts: number
  readonly itemKeys: unknown
  readonly error: string | null
  readonly requestedAt: DateTime.Utc
  readonly startedAt: DateTime.Utc | null
  readonly finishedAt: DateTime.Utc | null
}

export class CursorTooLarge extends Schema.TaggedError<CursorTooLarge>()("CursorTooLarge", {
  sensor: Schema.String,
  bytes: Schema.Number,
  limit: Schema.Number
}) {
  override get message(): string {
    return `the cursor of sensor ${this.sensor} is ${this.bytes} bytes, over the limit of ${this.limit}`
  }
}

export class CursorInvalid extends Schema.TaggedError<CursorInvalid>()("CursorInvalid", {
  sensor: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  sensor: Schema.String,
  runKey: Schema.String
}) {
  override get message(): string {
    return `sensor ${this.sensor} has no run ${this.runKey}`
  }
}

export class InvalidSensorInput extends Schema.TaggedError<InvalidSensorInput>()("InvalidSensorInput", {
  sensor: Schema.String,
  message: Schema.String
}) {}
