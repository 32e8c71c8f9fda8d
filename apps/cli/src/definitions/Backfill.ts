import { DateTime, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

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

export const backfill = Command.make("backfill", {
  source: Flag.String("source").pipe(Flag.withDescription("Only this source type (e.g. hn, feed, web)"), Flag.optional),
  since: date("since", "Only artifacts written at or after this time"),
  until: date("until", "Only artifacts written before this time"),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("Count the items a backfill would process, per source, and stop"),
    Flag.withDefault(false)
  ),
  batchSize: Flag.Int("batch-size").pipe(Flag.withDescription("Items per batch"), Flag.withDefault(100)),
  stale: Flag.Boolean("stale").pipe(
    Flag.withDescription(
      "Only the items silver holds from an older version of their source's transform (after one source's transform changed)"
    ),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Transform bronze into silver again: all history, one source, or a time range. Never moves the sensors' cursors, so it is safe next to running daemons."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Backfill.ts"),
        (m) => m.handler
      )
    )
  )
)
