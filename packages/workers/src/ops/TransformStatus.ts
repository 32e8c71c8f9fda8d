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
import { ItemRepo, type Status } from "@medallion/silver"
import { DateTime, Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { StatusSource } from "./StatusPage.ts"

export interface FailedItem {
  /** Which step failed: fetch, transcription or transform. */
  readonly stage: "fetch" | "transcription" | "transform"
  readonly sourceType: string
  readonly externalId: string
  readonly title: string | null
  readonly url: string | null
  readonly reason: string | null
  readonly updatedAt: string
}

export interface TransformStatusOptions<R = never> {
  readonly report: StatusReport.StatusOptions
  readonly throughput?: Throughput.ThroughputOptions | undefined
  /** Failed items listed per step (default 50), the oldest first, as silver lists them. */
  readonly failedItems?: number | undefined
  /** Further sections, e.g. the run queue in queue mode. */
  readonly extra?: Effect.Effect<Readonly<Record<string, unknown>>, unknown, R> | undefined
}

const STAGES: ReadonlyArray<{
  readonly stage: FailedItem["stage"]
  readonly query: {
    readonly fetchStatus?: Status.FetchStatus
    readonly transcriptionStatus?: Status.TranscriptionStatus
    readonly transformStatus?: Status.TransformStatus
  }
  readonly reason: "fetchError" | "transcriptionError" | "transformError"
}> = [
  { stage: "fetch", query: { fetchStatus: "failed" }, reason: "fetchError" },
  { stage: "transcription", query: { transcriptionStatus: "failed" }, reason: "transcriptionError" },
  { stage: "transform", query: { transformStatus: "failed" }, reason: "transformError" }
]

/** The failed items of each step, with their reasons. */
export const failedItems = Effect.fn("TransformStatus.failedItems")(function* (limit: number) {
  const items = yield* ItemRepo
  const out: Array<FailedItem> = []
  for (const { stage, query, reason } of STAGES) {
    for (const item of yield* items.listByStatus({ ...query, limit })) {
      out.push({
        stage,
        sourceType: item.sourceType,
        externalId: item.externalId,
        title: item.title,
        url: item.url,
        reason: item[reason],
        updatedAt: DateTime.formatIso(item.updatedAt)
      })
    }
  }
  return out
})

/** The status page's source for a daemon with silver: its sections, and search. */
export const source = <R = never>(
  options: TransformStatusOptions<R>
): Effect.Effect<StatusSource, never, SqlClient | ItemRepo | BronzeReader | R> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<SqlClient | ItemRepo | BronzeReader | R>()
    const items = yield* ItemRepo
    const sections = Effect.gen(function* () {
      const status = yield* StatusReport.make(options.report)
      const throughput = yield* Throughput.make(options.throughput)
      const failed = yield* failedItems(options.failedItems ?? 50)
      const extra = options.extra === undefined ? {} : yield* options.extra
      return { status, throughput, failedItems: failed, ...extra }
    }).pipe(Effect.provide(context))
    return {
      sections,
      search: (request) => items.search({ text: request.text, sourceType: request.sourceType, limit: request.limit })
    } satisfies StatusSource
  })
