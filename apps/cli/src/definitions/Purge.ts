import * as Os from "node:os"
import { Duration, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

const source = Flag.String("source").pipe(
  Flag.withDescription("The items' source type (e.g. hn, feed, web)"),
  Flag.optional
)
const ids = Flag.String("id").pipe(
  Flag.withDescription("An item's external id (repeatable), with --source"),
  Flag.atLeast(0)
)
const reason = Flag.String("reason").pipe(Flag.withDescription("Why (recorded in the audit trail; required)"))
/** The OS user and host, for the audit trail; a user with no passwd entry (some containers) is its uid. */
const operator = (): string => {
  let user: string
  try {
    user = Os.userInfo().username
  } catch {
    user = `uid ${process.getuid?.() ?? "unknown"}`
  }
  return `${user}@${Os.hostname()}`
}

const by = Flag.String("by").pipe(
  Flag.withDescription("Who asks (recorded; default: the OS user and host)"),
  Flag.withDefault(operator())
)

export const purge = Command.make("purge", {
  source,
  ids,
  match: Flag.String("match").pipe(
    Flag.withDescription("A glob over external ids (* and ?), with --source"),
    Flag.optional
  ),
  olderThan: Flag.String("older-than").pipe(
    Flag.withDescription("Items whose newest bronze artifact is older than this (e.g. '365 days')"),
    Flag.mapTryCatch(
      (text) => {
        const parsed = Duration.fromInput(text as Duration.Input)
        if (Option.isNone(parsed)) throw new Error(`--older-than: "${text}" is not a duration (e.g. 365 days)`)
        return Duration.toMillis(parsed.value)
      },
      (error) => String(error instanceof Error ? error.message : error)
    ),
    Flag.optional
  ),
  reason,
  by,
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("List what would be removed, change nothing"),
    Flag.withDefault(false)
  ),
  allowRefetch: Flag.Boolean("allow-refetch").pipe(
    Flag.withDescription("Leave no tombstone: the fetch side may fetch the item again"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Remove items from bronze and silver for good (by id, by id pattern, or by age), with an audit record and a tombstone so nothing fetches or transforms them again. --reason is required; --dry-run lists what would go. A purge stopped midway completes on the next run."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Purge.ts"),
        (m) => m.purgeHandler
      )
    )
  )
)

export const unpurge = Command.make("unpurge", { source, ids, reason, by }).pipe(
  Command.withDescription(
    "Lift the tombstone of purged items (audited), so the fetch side may fetch them again. What was purged stays gone."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Purge.ts"),
        (m) => m.unpurgeHandler
      )
    )
  )
)
