/**
 * The `medallion` command: the daemons and the operator commands, one
 * subcommand each. `--help` on any of them explains it.
 */
import { Command } from "effect/cli"
import { fetch } from "./commands/Fetch.ts"
import { migrate } from "./commands/Migrate.ts"
import { start } from "./commands/Start.ts"
import { status } from "./commands/Status.ts"
import { transform } from "./commands/Transform.ts"
import { root } from "./Root.ts"

export const cli = root.pipe(Command.withSubcommands([start, fetch, transform, status, migrate]))
