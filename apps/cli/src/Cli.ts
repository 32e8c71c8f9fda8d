/**
 * The `medallion` command: the daemons and the operator commands, one
 * subcommand each. `--help` on any of them explains it.
 */
import { Command } from "effect/cli"
import { fetch } from "./commands/Fetch.ts"
import { migrate } from "./commands/Migrate.ts"
import { root } from "./Root.ts"

export const cli = root.pipe(Command.withSubcommands([fetch, migrate]))
