import { Command } from "effect/cli"
import * as Lazy from "../Lazy.ts"

/**
 * Bronze's upkeep over the whole store, on demand: the fetch daemon runs it on a schedule over the last
 * day only. `switch-discovery` runs it when a store moves from scan to index discovery (every artifact
 * then needs its index line); safe next to running daemons (a line appended twice is read once).
 */
export const reconcile = Command.make("reconcile").pipe(
  Command.withDescription(
    "Check all of bronze against its index: restore the lines of artifacts that have none, terminate a torn last line, remove stale temporary files. (switch-discovery runs it when moving to index discovery.)"
  ),
  Command.withHandler(
    Lazy.handler(
      () => import("../commands/Reconcile.ts"),
      (m) => m.handler
    )
  )
)
