import { Command } from "effect/cli"
import * as Lazy from "../Lazy.ts"

export const fetch = Command.make("fetch").pipe(
  Command.withDescription(
    "Run the fetch daemon: every configured source on its schedule, then transcription and enrichment, writing bronze only. Needs no database."
  ),
  Command.withHandler(
    Lazy.handler(
      () => import("../commands/Fetch.ts"),
      (m) => m.handler
    )
  )
)
