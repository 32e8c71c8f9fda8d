/**
 * The one typed error of the queue package: an operation on the queue's tables (graphile-worker's schema,
 * `queue_workers`, `sensor_runs`) failed; the cause is kept as-is.
 */
import { causeChain } from "@medallion/bronze"
import { Schema } from "effect"

export class QueueError extends Schema.TaggedError<QueueError>()("QueueError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  /** The message becomes a job's `last_error` and a failed run's reason, so it carries the root cause's. */
  override get message(): string {
    return `queue ${this.operation} failed: ${causeChain(this.cause)}`
  }
}
