/** The root `medallion` command and its shared flags; subcommands read them by yielding it. */
import { Command } from "effect/cli"
import * as GlobalOptions from "./GlobalOptions.ts"

export const root = Command.make("medallion").pipe(
  Command.withSharedFlags(GlobalOptions.shared),
  Command.withDescription(
    "Ingest external content into bronze (immutable raw files) and silver (normalized PostgreSQL). " +
      "With no DATABASE_URL, a real PostgreSQL is embedded under the data dir."
  )
)
