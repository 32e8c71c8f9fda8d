/**
 * Typed errors of the sensor runtime. They cross the package boundary (daemons and the CLI see them), so
 * each is a `Schema.TaggedError` carrying what an operator needs to act on it.
 */
import { causeChain } from "@medallion/bronze"
import { Schema } from "effect"

/** The state store (the database, or the in-memory double) failed; the cause is kept as-is. */
export class SensorStoreError extends Schema.TaggedError<SensorStoreError>()("SensorStoreError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  /** A tick's reason and a run's error are built from it: it carries the root cause's words (PostgreSQL's). */
  override get message(): string {
    return `sensor store ${this.operation} failed: ${causeChain(this.cause)}`
  }
}

/** This process no longer owns the sensor: another owner took its lease over. Nothing was written. */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  sensor: Schema.String,
  owner: Schema.String
}) {
  override get message(): string {
    return `${this.owner} no longer holds the lease of sensor ${this.sensor}: another owner took it over`
  }
}

/** The encoded cursor is larger than the sensor allows; the tick fails and the cursor stays. */
export class CursorTooLarge extends Schema.TaggedError<CursorTooLarge>()("CursorTooLarge", {
  sensor: Schema.String,
  bytes: Schema.Number,
  limit: Schema.Number
}) {
  override get message(): string {
    return `the cursor of sensor ${this.sensor} is ${this.bytes} bytes, over the limit of ${this.limit}`
  }
}

/** The stored cursor does not decode with the sensor's cursor schema (e.g. the schema changed). */
export class CursorDecodeError extends Schema.TaggedError<CursorDecodeError>()("CursorDecodeError", {
  sensor: Schema.String,
  message: Schema.String
}) {}

/**
 * The bronze -> silver sensor's stored cursor belongs to the other discovery mode: bronze.discovery was
 * changed without moving the cursor, which the sensor of the new mode cannot read.
 */
export class DiscoveryMismatch extends Schema.TaggedError<DiscoveryMismatch>()("DiscoveryMismatch", {
  sensor: Schema.String,
  stored: Schema.Literals(["scan", "index"]),
  configured: Schema.Literals(["scan", "index"])
}) {
  override get message(): string {
    return `the cursor of sensor ${this.sensor} is a ${this.stored}-mode cursor, but bronze.discovery is "${this.configured}": move it once with \`medallion switch-discovery\` (daemons stopped), or set bronze.discovery back to "${this.stored}"`
  }
}

/** The runner does not know a sensor of that name. */
export class SensorNotFound extends Schema.TaggedError<SensorNotFound>()("SensorNotFound", {
  sensor: Schema.String
}) {
  override get message(): string {
    return `no sensor named ${this.sensor}`
  }
}

/** A run's attempt ran past the launcher's run timeout: it was interrupted, rolled back, and is retried. */
export class RunTimedOut extends Schema.TaggedError<RunTimedOut>()("RunTimedOut", {
  sensor: Schema.String,
  runKey: Schema.String,
  message: Schema.String
}) {}
