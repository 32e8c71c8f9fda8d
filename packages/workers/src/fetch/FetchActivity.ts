/**
 * What a fetch daemon did lately, kept in memory for its status page: the fetch side keeps no state
 * outside bronze and has no database, so the daemon records here what it otherwise only logs and
 * counts in metrics (its sources and schedules, each source run with its counts, discovery error
 * and failed items, transcription and enrichment outcomes, bronze upkeep). Bounded: the newest runs
 * per source and the newest media attempts that did not succeed are kept; a restart starts empty.
 */
import { Cause, Clock, Context, Effect, Layer } from "effect"
import type { FetchRunReport } from "./FetchWorker.ts"

export interface SourceRun {
  readonly startedAt: string
  readonly durationMs: number
  readonly discovered: number
  readonly fetched: number
  readonly skipped: number
  readonly failed: number
  /** Why discovery failed (nothing was fetched then), or which of its documents failed and why. */
  readonly discoveryError: string | null
  /** The run's failed items (the first `MAX_FAILURES`), with their reasons. */
  readonly failures: ReadonlyArray<{ readonly externalId: string; readonly reason: string }>
}

export interface SourceActivity {
  /** The operator's name for the source. */
  readonly name: string
  readonly sourceType: string | null
  /** The schedule, e.g. "10 minutes". */
  readonly every: string
  /** Runs since the daemon started. */
  readonly runs: number
  /** The newest first (at most `MAX_RUNS`). */
  readonly lastRuns: ReadonlyArray<SourceRun>
}

export type MediaTask = "transcription" | "enrichment"

export interface MediaAttempt {
  readonly at: string
  readonly task: MediaTask
  readonly sourceType: string
  readonly externalId: string
  readonly outcome: string
  readonly reason: string | null
}

export interface Upkeep {
  readonly at: string
  readonly ok: boolean
  readonly restoredIndexLines: number
  readonly removedTempFiles: number
  readonly repairedTornLine: boolean
  readonly scannedArtifacts: number
  readonly error: string | null
}

export interface FetchActivitySnapshot {
  readonly startedAt: string
  readonly sources: ReadonlyArray<SourceActivity>
  readonly media: {
    /** Attempts since start, per task and outcome (`error` when the attempt itself failed). */
    readonly counts: Readonly<Record<string, Readonly<Record<string, number>>>>
    /** The newest attempts that failed, with their reasons (newest first). */
    readonly recentProblems: ReadonlyArray<MediaAttempt>
    /** The newest attempts skipped on purpose (already done, no media, spend limit), with their reasons. */
    readonly recentSkips: ReadonlyArray<MediaAttempt>
  }
  readonly upkeep: { readonly every: string | null; readonly last: Upkeep | null }
}

export const MAX_RUNS = 10
export const MAX_FAILURES = 20
export const MAX_MEDIA_RECENT = 20

/** The message of what failed, without the stack. */
const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message)
  return String(error)
}

export class FetchActivity extends Context.Service<
  FetchActivity,
  {
    /** The daemon's sources and schedules, as it starts them. */
    readonly schedule: (
      sources: ReadonlyArray<{ readonly name: string; readonly every: string }>,
      upkeepEvery: string | null
    ) => Effect.Effect<void>
    readonly recordRun: (name: string, report: FetchRunReport, durationMs: number) => Effect.Effect<void>
    readonly recordMedia: (
      task: MediaTask,
      item: { readonly sourceType: string; readonly externalId: string },
      /** What the attempt answered, or why the attempt itself failed (outcome `error`). */
      result: { readonly outcome: string; readonly reason?: string | undefined } | Cause.Cause<unknown>
    ) => Effect.Effect<void>
    readonly recordUpkeep: (
      result:
        | {
            readonly restoredIndexLines: number
            readonly removedTempFiles: number
            readonly repairedTornLine: boolean
            readonly scannedArtifacts: number
          }
        | Cause.Cause<unknown>
    ) => Effect.Effect<void>
    readonly snapshot: Effect.Effect<FetchActivitySnapshot>
  }
>()("@medallion/workers/FetchActivity") {
  static readonly layer = Layer.effect(
    this,
    Effect.gen(function* () {
      const iso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())
      const startedAt = yield* iso
      const sources = new Map<string, SourceActivity>()
      const counts: Record<string, Record<string, number>> = {}
      let problems: Array<MediaAttempt> = []
      let skips: Array<MediaAttempt> = []
      let upkeep: FetchActivitySnapshot["upkeep"] = { every: null, last: null }

      const source = (name: string): SourceActivity =>
        sources.get(name) ?? { name, sourceType: null, every: "", runs: 0, lastRuns: [] }

      return FetchActivity.of({
        schedule: (list, upkeepEvery) =>
          Effect.sync(() => {
            for (const { name, every } of list) sources.set(name, { ...source(name), every })
            upkeep = { ...upkeep, every: upkeepEvery }
          }),
        recordRun: (name, report, durationMs) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const current = source(name)
            const run: SourceRun = {
              startedAt: new Date(now - durationMs).toISOString(),
              durationMs: Math.round(durationMs),
              discovered: report.discovered,
              fetched: report.fetched,
              skipped: report.skipped,
              failed: report.failed,
              discoveryError:
                report.discoverError ??
                (report.discoveryFailures.length === 0
                  ? null
                  : report.discoveryFailures
                      .map((f) => `${f.artifact}${f.url === undefined ? "" : ` ${f.url}`}: ${f.reason}: ${f.message}`)
                      .join("; ")),
              failures: report.results
                .filter((r) => r.outcome === "failed")
                .slice(0, MAX_FAILURES)
                .map((r) => ({ externalId: r.externalId, reason: r.reason ?? "no reason given" }))
            }
            sources.set(name, {
              ...current,
              sourceType: report.sourceType,
              runs: current.runs + 1,
              lastRuns: [run, ...current.lastRuns].slice(0, MAX_RUNS)
            })
          }),
        recordMedia: (task, item, answer) =>
          Effect.map(iso, (at) => {
            const result = Cause.isCause(answer) ? { outcome: "error", reason: reasonOf(answer) } : answer
            const perTask = (counts[task] ??= {})
            perTask[result.outcome] = (perTask[result.outcome] ?? 0) + 1
            if (result.outcome === "fetched") return
            const attempt: MediaAttempt = {
              at,
              task,
              sourceType: item.sourceType,
              externalId: item.externalId,
              outcome: result.outcome,
              reason: result.reason ?? null
            }
            if (result.outcome === "skipped") skips = [attempt, ...skips].slice(0, MAX_MEDIA_RECENT)
            else problems = [attempt, ...problems].slice(0, MAX_MEDIA_RECENT)
          }),
        recordUpkeep: (result) =>
          Effect.map(iso, (at) => {
            upkeep = {
              ...upkeep,
              last: Cause.isCause(result)
                ? {
                    at,
                    ok: false,
                    restoredIndexLines: 0,
                    removedTempFiles: 0,
                    repairedTornLine: false,
                    scannedArtifacts: 0,
                    error: reasonOf(result)
                  }
                : { at, ok: true, ...result, error: null }
            }
          }),
        snapshot: Effect.sync(() => ({
          startedAt,
          sources: [...sources.values()],
          media: {
            counts: Object.fromEntries(Object.entries(counts).map(([task, c]) => [task, { ...c }])),
            recentProblems: problems,
            recentSkips: skips
          },
          upkeep
        }))
      })
    })
  )
}
