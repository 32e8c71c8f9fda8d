import * as Os from "node:os"
import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

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

export const retention = Command.make("retention", {
  source: Flag.String("source").pipe(
    Flag.withDescription("Only this source type (one with a policy in retention.sources)"),
    Flag.optional
  ),
  by: Flag.String("by").pipe(
    Flag.withDescription("Who asks (recorded; default: the OS user and host)"),
    Flag.withDefault(operator())
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("List what would be removed, change nothing"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Remove the old versions of refetched bronze artifacts by the policies of retention.sources (the newest N, those younger than a duration), never the newest one nor what silver derives from, each removal audited in purge_log. --dry-run lists what would go. A pass stopped midway completes on the next run; the transform daemon runs it on retention.schedule."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Retention.ts"),
        (m) => m.handler
      )
    )
  )
)
