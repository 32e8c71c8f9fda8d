/**
 * The words a failure is recorded with: a failed tick's reason, a run's error. The error's name and its
 * message along its causes, bounded and never empty. The runner, the in-process launcher and the queue's
 * workers record failures with it, so a reason reads the same wherever it was recorded.
 */
import { causeChain } from "@medallion/bronze"
import { Cause, Schema } from "effect"
import type { JobResult } from "./Job.ts"

/** Longest reason recorded (the rest is cut). */
export const MAX_REASON_LENGTH = 4000

/** The reason of a failure, e.g. `SensorStoreError: sensor store insertRuns failed: ...`. */
export const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text = Schema.isSchemaError(error)
    ? `SchemaError: ${error.message}`
    : error instanceof Error
      ? `${error.name}: ${causeChain(error)}`
      : typeof error === "string" && error !== ""
        ? error
        : Cause.pretty(cause)
  return text.slice(0, MAX_REASON_LENGTH)
}

/** The error of a run whose job reported failed items: how many, and the first one's reason. */
export const summarize = (result: JobResult<unknown>, total: number): string =>
  `${result.failures.length} of ${total} items failed; first: ${result.failures[0]?.reason ?? ""}`.slice(
    0,
    MAX_REASON_LENGTH
  )
