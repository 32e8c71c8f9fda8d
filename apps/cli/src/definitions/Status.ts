import { Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

export const status = Command.make("status", {
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print the report as JSON, for scripts"),
    Flag.withDefault(false)
  )
}).pipe(
  Command.withDescription(
    "Show items per source and status, the items that failed lately and why, each sensor's cursor, runs and recent ticks, failed runs, and how far silver lags behind bronze."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Status.ts"),
        (m) => m.handler
      )
    )
  )
)
