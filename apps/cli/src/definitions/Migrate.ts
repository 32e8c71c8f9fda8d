import { Command } from "effect/cli"
import * as Lazy from "../Lazy.ts"

export const migrate = Command.make("migrate").pipe(
  Command.withDescription(
    "Bring the database schema up to date (forward-only; safe to run twice or from two processes at once). The daemons migrate on start too."
  ),
  Command.withHandler(
    Lazy.handler(
      () => import("../commands/Migrate.ts"),
      (m) => m.handler
    )
  )
)
