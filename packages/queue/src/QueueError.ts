/**
 * The one typed error of the queue package: an operation on the queue's tables (graphile-worker's schema,
 * `queue_workers`, `sensor_runs`) failed; the cause is kept as-is.
 */
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

/** The messages along a chain of causes, each once (a SQL error wraps PostgreSQL's own message). */
export const causeChain = (cause: unknown): string => {
  let text = ""
  let current = cause
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : typeof current === "string" ? current : String(current)
    if (message !== "" && !text.includes(message)) text = text === "" ? message : `${text}: ${message}`
    current = current instanceof Error ? current.cause : undefined
  }
  return text
}
