import { Command } from "effect/cli"
import * as Lazy from "../Lazy.ts"

export const start = Command.make("start").pipe(
  Command.withDescription(
    "Run the fetch and the transform daemon in one process. With no DATABASE_URL, an embedded PostgreSQL starts under the data dir and stops with the process."
  ),
  Command.withHandler(
    Lazy.handler(
      () => import("../commands/Start.ts"),
      (m) => m.handler
    )
  )
)
