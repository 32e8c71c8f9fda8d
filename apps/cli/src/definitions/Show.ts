import { Argument, Command } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

export const show = Command.make("show", {
  sourceType: Argument.String("source").pipe(Argument.withDescription("Source type, e.g. hn")),
  externalId: Argument.String("id").pipe(Argument.withDescription("The item's external id"))
}).pipe(
  Command.withDescription(
    "Print one silver item with its statuses, provenance, comments, transcript segments and enrichments (JSON)"
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Show.ts"),
        (m) => m.handler
      )
    )
  )
)
