/**
 * The `medallion` command: the daemons and the operator commands, one
 * subcommand each. `--help` on any of them explains it.
 */
import { Command } from "effect/cli"
import { demo } from "./commands/Demo.ts"
import { fetch } from "./commands/Fetch.ts"
import { backfill } from "./commands/Backfill.ts"
import { migrate } from "./commands/Migrate.ts"
import { migrateLegacy } from "./commands/MigrateLegacy.ts"
import { purge, unpurge } from "./commands/Purge.ts"
import { reconcile } from "./commands/Reconcile.ts"
import { retry } from "./commands/Retry.ts"
import { search } from "./commands/Search.ts"
import { sensors } from "./commands/Sensors.ts"
import { show } from "./commands/Show.ts"
import { start } from "./commands/Start.ts"
import { status } from "./commands/Status.ts"
import { transform } from "./commands/Transform.ts"
import { root } from "./Root.ts"

export const cli = root.pipe(
  Command.withSubcommands([
    start,
    fetch,
    transform,
    demo,
    status,
    backfill,
    retry,
    sensors,
    show,
    search,
    migrate,
    migrateLegacy,
    reconcile,
    purge,
    unpurge
  ])
)
