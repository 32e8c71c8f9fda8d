import { Backfill } from "@medallion/sensors"
import { Console, DateTime, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as Operations from "../Operations.ts"
import * as Progress from "../Progress.ts"
import * as TransformWiring from "../TransformWiring.ts"

const date = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.mapTryCatch(
      (text) => {
        const parsed = DateTime.make(text)
        if (Option.isNone(parsed))
          throw new Error(`--${name}: "${text}" is not a date (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`)
        return DateTime.toEpochMillis(parsed.value)
      },
      (error) => String(error instanceof Error ? error.message : error)
    ),
    Flag.optional
  )

export const backfill = Command.make(
  "backfill",
  {
    source: Flag.String("source").pipe(
      Flag.withDescription("Only this source type (e.g. hn, feed, web)"),
      Flag.optional
    ),
    since: date("since", "Only artifacts written at or after this time"),
    until: date("until", "Only artifacts written before this time"),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Count the items a backfill would process, per source, and stop"),
      Flag.withDefault(false)
    ),
    batchSize: Flag.Int("batch-size").pipe(Flag.withDescription("Items per batch"), Flag.withDefault(100))
  },
  Effect.fn(function* ({ source, since, until, dryRun, batchSize }) {
    const progress = Progress.make({ label: "backfill", unit: "items" })
    const report = yield* Operations.run((app) =>
      Backfill.run({
        job: TransformWiring.transformJob(app),
        sourceType: Option.getOrUndefined(source),
        since: Option.getOrUndefined(since),
        until: Option.getOrUndefined(until),
        batchSize,
        dryRun,
        onProgress: (p) =>
          progress.update({ done: p.done, total: p.total, elapsedMs: p.elapsedMs, counts: { failed: p.failed } })
      }).pipe(Effect.provide(TransformWiring.extractPool(app)), Effect.ensuring(progress.stop))
    )
    const perSource = Object.entries(report.bySource)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")
    yield* Console.log(
      report.dryRun
        ? `dry run: ${report.items} item(s) would be transformed again (${perSource || "none"})`
        : `backfill: ${report.processed} item(s) transformed in ${(report.elapsedMs / 1000).toFixed(1)} s (${perSource || "none"}), ${report.failed.length} failed`
    )
    for (const failure of report.failed.slice(0, 20)) {
      yield* Console.log(`  failed ${failure.item.sourceType}/${failure.item.externalId}: ${failure.reason}`)
    }
  })
).pipe(
  Command.withDescription(
    "Transform bronze into silver again: all history, one source, or a time range. Never moves the sensors' cursors, so it is safe next to running daemons."
  )
)
