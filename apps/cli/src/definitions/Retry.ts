import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

export const retry = Command.make("retry", {
  runKey: Flag.String("run").pipe(Flag.withDescription("Only this failed run (see `medallion status`)"), Flag.optional),
  items: Flag.Boolean("items").pipe(
    Flag.withDescription("Also transform again every item silver records as transform_status = failed"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Run failed bronze -> silver runs again (all, or one with --run), and with --items every item whose transform failed. Safe next to running daemons: runs are idempotent."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Retry.ts"),
        (m) => m.handler
      )
    )
  )
)
