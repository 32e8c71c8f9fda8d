/**
 * What the transform daemon's status page shows, as a `StatusPage.StatusSource`:
 *
 *   status       the operator's report, `StatusReport.make` (the document `medallion status --json` prints)
 *   throughput   items, runs and ticks per minute of the last hour, per sensor (`Throughput.make`)
 *   failedItems  items whose fetch, transcription or transform failed, with their reasons
 *
 * plus any `extra` sections (the run queue in queue mode), and search over silver through
 * `ItemRepo.search`. Everything is read through the repositories and reports the operator commands
 * use, so the page and `status` never disagree.
 */
import type { BronzeReader } from "@medallion/bronze"
import { StatusReport, Throughput } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { StatusSource } from "./StatusPage.ts"

/** A failed item with its reason, as `StatusReport` lists them. */
export type FailedItem = StatusReport.FailedItem

export interface TransformStatusOptions<R = never> {
  readonly report: StatusReport.StatusOptions
  readonly throughput?: Throughput.ThroughputOptions | undefined
  /** Failed items listed per step (default 50), the oldest first, as silver lists them. */
  readonly failedItems?: number | undefined
  /** Further sections, e.g. the run queue in queue mode. */
  readonly extra?: Effect.Effect<Readonly<Record<string, unknown>>, unknown, R> | undefined
}

/** The failed items of each step, with their reasons (`StatusReport.failedItems`). */
export const failedItems = StatusReport.failedItems

/** The status page's source for a daemon with silver: its sections, and search. */
export const source = <R = never>(
  options: TransformStatusOptions<R>
): Effect.Effect<StatusSource, never, SqlClient | ItemRepo | BronzeReader | R> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<SqlClient | ItemRepo | BronzeReader | R>()
    const items = yield* ItemRepo
    const sections = Effect.gen(function* () {
      const status = yield* StatusReport.make({ ...options.report, failedItems: options.failedItems ?? 50 })
      const throughput = yield* Throughput.make(options.throughput)
      const extra = options.extra === undefined ? {} : yield* options.extra
      return { status, throughput, failedItems: status.failures.items, ...extra }
    }).pipe(Effect.provide(context))
    return {
      sections,
      search: (request) => items.search({ text: request.text, sourceType: request.sourceType, limit: request.limit })
    } satisfies StatusSource
  })
