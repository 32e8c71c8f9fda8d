/**
 * The one typed error of the queue package: an operation on the queue's tables (graphile-worker's schema,
 * `queue_workers`, `sensor_runs`) failed; the cause is kept as-is.
 */
import { Schema } from "effect"

export class QueueError extends Schema.TaggedError<QueueError>()("QueueError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {}
