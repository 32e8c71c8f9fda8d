/**
 * What `status` and the transform daemon's status page say of the run queue: its counts and the dead
 * jobs with their reasons. Before the first queue daemon has started, the queue's schema does not exist:
 * that is `null` (nothing set up yet), not a failure.
 */
import { SqlSensorStore } from "@medallion/sensors"
import { Effect, Layer } from "effect"
import * as QueueAdmin from "./QueueAdmin.ts"

export interface QueueReport {
  readonly stats: QueueAdmin.QueueStats
  readonly dead: ReadonlyArray<QueueAdmin.DeadJob>
}

/** PostgreSQL's undefined_table (42P01), anywhere in an error's causes. */
const isUndefinedTable = (error: unknown): boolean => {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 8; depth++) {
    if ((cause as { code?: unknown }).code === "42P01") return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** The queue's counts and its 20 newest dead jobs; `null` while no queue daemon has set it up. */
export const make = (maxAttempts: number) =>
  Effect.gen(function* () {
    const admin = yield* QueueAdmin.QueueAdmin
    return { stats: yield* admin.stats, dead: yield* admin.deadJobs(20) } satisfies QueueReport
  }).pipe(
    Effect.provide(QueueAdmin.layer({ maxAttempts }).pipe(Layer.provide(SqlSensorStore.layer))),
    Effect.catchIf(isUndefinedTable, (error) => Effect.as(Effect.logDebug("no queue yet", error), null))
  )
