/**
 * The fetch daemon: each source on its own schedule, then the media and
 * enrichment queue for what the sources brought in. It writes bronze only:
 * nothing in its layer graph can reach silver (a dependency-cruiser rule), and
 * it remembers nothing outside bronze, so any number of restarts is safe.
 */
import { BronzeMaintenance, causeChain, type BronzeReader, type BronzeWriter, type ItemKey } from "@medallion/bronze"
import {
  Declined,
  Enricher,
  ExtractPool,
  FetchActivity,
  type FetchHttp,
  FetchFailureReason,
  FetchWorker,
  type RobotsTxt,
  type Shard,
  type Source,
  SourceError,
  Sources,
  Transcriber
} from "@medallion/workers/fetch"
import { Clock, Duration, Effect, Layer, Metric, Option, Queue, Schedule, Stream } from "effect"

/** Records into the daemon's `FetchActivity` (its status page) when the layer has one. */
const activity = (record: (activity: FetchActivity["Service"]) => Effect.Effect<void>) =>
  Effect.flatMap(Effect.serviceOption(FetchActivity), (found) =>
    Option.isSome(found) ? record(found.value) : Effect.void
  )

/** The fetch side's own services, which every source may use. */
export type FetchServices = FetchHttp | RobotsTxt | BronzeWriter | BronzeReader

export interface ScheduledSource<R = never> {
  /** The name the operator gave the source (config), shown in logs and metrics. */
  readonly name: string
  readonly source: Source<R | FetchServices>
  readonly every: Duration.Duration
  /**
   * What the source needs beyond the fetch side's services (an OAuth token, a quota): built once when
   * the daemon starts, released when it stops. A failure to build it stops the start, naming the source.
   */
  readonly layer?: Layer.Layer<R, unknown, FetchServices> | undefined
}

export interface FetchDaemonOptions {
  // Each source brings its own requirements, provided by its own layer.
  readonly sources: ReadonlyArray<ScheduledSource<any>>
  /** Items fetched at once per source run. */
  readonly concurrency: number
  /** This daemon's share of every source's items, when several fetch daemons share the sources. */
  readonly shard?: Shard.Shard | undefined
  /**
   * How often bronze's upkeep runs (and once at start): index lines lost in a crash (the artifact was
   * stored, its line not) are restored, stale temporary files removed. Default 6 hours.
   */
  readonly reconcileEvery?: Duration.Duration | undefined
  /**
   * Worker threads for the fetch side's parsing (feed documents, the article of a page to enrich), each
   * within its time budget (`FeedSource`'s and `Enricher`'s `extractTimeout`). Default 1.
   */
  readonly extractThreads?: number | undefined
}

/** The upkeep checks what was written in the last day, or in the last two intervals if that is longer. */
const reconcileWindow = (every: Duration.Duration) =>
  Math.max(Duration.toMillis(Duration.days(1)), 2 * Duration.toMillis(every))

/** Bronze's upkeep on a schedule, when the bronze layer offers it; a failure is logged and retried next time. */
const upkeep = (every: Duration.Duration) =>
  Effect.gen(function* () {
    const maintenance = yield* Effect.serviceOption(BronzeMaintenance)
    if (Option.isNone(maintenance)) return
    const once = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const report = yield* maintenance.value.reconcile({ since: now - reconcileWindow(every) })
      yield* activity((a) => a.recordUpkeep(report))
      if (report.restoredIndexLines > 0 || report.removedTempFiles > 0 || report.repairedTornLine) {
        yield* Effect.logWarning("bronze upkeep repaired what a crash left", report)
      } else {
        yield* Effect.logDebug("bronze upkeep found nothing to repair", report)
      }
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.logWarning("bronze upkeep failed; next attempt on schedule", cause).pipe(
          Effect.andThen(activity((a) => a.recordUpkeep(cause)))
        )
      )
    )
    yield* Effect.forkScoped(Effect.repeat(once, Schedule.spaced(every)))
  })

const fetchedItems = Metric.counter("fetch_items_total", {
  description: "Items a source run handled, by source and outcome (fetched, skipped, failed)"
})
const discoveryErrors = Metric.counter("fetch_discovery_errors_total", {
  description:
    "Discovery documents (feeds, lists, sitemaps) that could not be fetched or parsed, and discoveries that failed as a whole, by source and reason"
})
const sourceRuns = Metric.timer("fetch_source_run_duration", { description: "Duration of one source run" })
const mediaTasks = Metric.counter("fetch_media_tasks_total", {
  description: "Transcription and enrichment attempts, by source, task and outcome (fetched, skipped, failed, error)"
})

/**
 * The `reason` label of a discovery error, from a bounded set: the fetch failure reasons,
 * `invalid-response` (the document came but did not parse), `discovery-failed` (the source's discovery
 * failed as a whole) and `other` for anything a custom source records.
 */
const REASONS: ReadonlySet<string> = new Set([...FetchFailureReason.literals, "invalid-response", "discovery-failed"])
export const reasonLabel = (reason: string): string => (REASONS.has(reason) ? reason : "other")

const recordReport = (name: string, report: FetchWorker.FetchRunReport) =>
  Effect.gen(function* () {
    for (const outcome of ["fetched", "skipped", "failed"] as const) {
      const count = report[outcome]
      if (count > 0) {
        yield* Metric.update(Metric.withAttributes(fetchedItems, { source: name, outcome }), count)
      }
    }
    const reasons = [
      ...report.discoveryFailures.map((failure) => failure.reason),
      ...(report.discoverError === undefined ? [] : ["discovery-failed"])
    ]
    for (const reason of reasons) {
      yield* Metric.update(Metric.withAttributes(discoveryErrors, { source: name, reason: reasonLabel(reason) }), 1)
    }
    yield* Effect.logInfo(
      `source ${name}: ${report.discovered} discovered, ${report.fetched} fetched, ${report.skipped} unchanged, ${report.failed} failed` +
        (reasons.length === 0 ? "" : `, ${reasons.length} discovery failure(s)`)
    )
  })

/**
 * Transcribes and enriches items after their source fetched them. Both steps
 * read bronze to decide (a transcript already there, the day's budget spent),
 * so offering an item twice, or after a restart, does no harm. With no
 * transcriber configured, an item's media gets a `transcript-declined` record
 * instead, so silver shows it skipped rather than pending forever.
 */
/** An item a source run brought in, for the media worker: with the name of the source, for logs and metrics. */
interface MediaWork {
  readonly source: string
  readonly item: ItemKey
}

const mediaWorker = (queue: Queue.Dequeue<MediaWork>) =>
  Effect.gen(function* () {
    const transcriber = yield* Effect.serviceOption(Transcriber)
    const enricher = yield* Effect.serviceOption(Enricher)
    const attempt = (
      { source, item }: MediaWork,
      task: "transcription" | "enrichment",
      run: Effect.Effect<{ readonly outcome: string; readonly reason?: string | undefined }, unknown>
    ) => {
      const count = (outcome: string) => Metric.update(Metric.withAttributes(mediaTasks, { source, task, outcome }), 1)
      const what = `source ${source}: ${task} of ${item.sourceType}/${item.externalId} failed`
      return run.pipe(
        Effect.tap((result) =>
          Effect.andThen(
            count(result.outcome),
            result.outcome === "failed"
              ? Effect.logWarning(`${what}: ${result.reason ?? "no reason given"}`)
              : Effect.void
          )
        ),
        Effect.tap((result) => activity((a) => a.recordMedia(task, item, result))),
        Effect.catchCause((cause) =>
          Effect.logWarning(what, cause).pipe(
            Effect.andThen(count("error")),
            Effect.andThen(activity((a) => a.recordMedia(task, item, cause)))
          )
        )
      )
    }
    yield* Stream.fromQueue(queue).pipe(
      Stream.runForEach((work) =>
        Effect.gen(function* () {
          if (Option.isSome(transcriber)) yield* attempt(work, "transcription", transcriber.value.transcribe(work.item))
          else
            yield* Declined.transcriptionOff(work.item).pipe(
              Effect.catchCause((cause) =>
                Effect.logWarning(`source ${work.source}: could not record that transcription is off`, cause)
              )
            )
          if (Option.isSome(enricher)) yield* attempt(work, "enrichment", enricher.value.enrich(work.item))
        })
      )
    )
  })

/**
 * The daemon as a layer: its fibers run for as long as the layer lives and are
 * interrupted on shutdown. An interrupted bronze write never becomes visible
 * (bronze writes are atomic), and nothing else is kept, so stopping at any
 * point loses nothing.
 */
export const layer = (options: FetchDaemonOptions) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      // Without a transcriber the worker still runs: it records that media will not be transcribed.
      const queue = yield* Queue.sliding<MediaWork>(10_000)
      yield* Effect.forkScoped(mediaWorker(queue))

      const upkeepEvery = options.reconcileEvery ?? Duration.hours(6)
      const hasUpkeep = Option.isSome(yield* Effect.serviceOption(BronzeMaintenance))
      yield* activity((a) =>
        a.schedule(
          options.sources.map((s) => ({ name: s.name, every: Duration.format(s.every) })),
          hasUpkeep ? Duration.format(upkeepEvery) : null
        )
      )
      for (const scheduled of options.sources) {
        const source: Source<FetchServices> =
          scheduled.layer === undefined
            ? scheduled.source
            : Sources.provide(
                scheduled.source,
                yield* Layer.build(scheduled.layer).pipe(
                  Effect.mapError(
                    (cause) =>
                      new SourceError({
                        sourceType: scheduled.source.sourceType,
                        message: `the services of source ${scheduled.name} could not be built: ${causeChain(cause)}`,
                        cause
                      })
                  )
                )
              )
        const run = FetchWorker.runOnce(source, {
          concurrency: options.concurrency,
          shard: options.shard,
          name: scheduled.name
        }).pipe(
          Effect.timed,
          Effect.tap(([duration]) =>
            Metric.update(Metric.withAttributes(sourceRuns, { source: scheduled.name }), duration)
          ),
          Effect.tap(([duration, report]) =>
            activity((a) => a.recordRun(scheduled.name, report, Duration.toMillis(duration)))
          ),
          Effect.map(([, report]) => report),
          Effect.tap((report) => recordReport(scheduled.name, report)),
          Effect.tap((report) =>
            Queue.offerAll(
              queue,
              report.results
                .filter((r) => r.outcome !== "failed")
                .map((r) => ({
                  source: scheduled.name,
                  item: { sourceType: report.sourceType, externalId: r.externalId }
                }))
            )
          ),
          Effect.annotateLogs({ source: scheduled.name })
        )
        yield* Effect.forkScoped(Effect.repeat(run, Schedule.spaced(scheduled.every)))
      }
      yield* upkeep(upkeepEvery)
      const share = options.shard === undefined ? "" : ` (shard ${options.shard.index} of ${options.shard.count})`
      yield* Effect.logInfo(
        `fetch daemon${share} running ${options.sources.length} source(s): ${options.sources.map((s) => `${s.name} every ${Duration.format(s.every)}`).join(", ")}`
      )
    })
  ).pipe(
    // A hostile document is parsed in a worker thread that its budget can stop: the daemon's own thread
    // keeps scheduling, answering health checks and shutting down.
    Layer.provide(ExtractPool.layer({ threads: options.extractThreads ?? 1 }))
  )
