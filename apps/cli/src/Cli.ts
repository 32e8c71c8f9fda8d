/**
 * The `medallion` command: the daemons and the operator commands, one
 * subcommand each. `--help` on any of them explains it.
 *
 * The tree holds definitions only (`definitions/`: names, flags, descriptions); each command's code
 * (`commands/`) is imported when that command runs, so `--help` and a command's parsing load nothing
 * else.
 */
import { Command } from "effect/cli"
import { backfill } from "./definitions/Backfill.ts"
import { demo } from "./definitions/Demo.ts"
import { fetch } from "./definitions/Fetch.ts"
import { migrate } from "./definitions/Migrate.ts"
import { migrateLegacy } from "./definitions/MigrateLegacy.ts"
import { purge, unpurge } from "./definitions/Purge.ts"
import { reconcile } from "./definitions/Reconcile.ts"
import { retention } from "./definitions/Retention.ts"
import { retry } from "./definitions/Retry.ts"
import { search } from "./definitions/Search.ts"
import { sensors } from "./definitions/Sensors.ts"
import { show } from "./definitions/Show.ts"
import { start } from "./definitions/Start.ts"
import { status } from "./definitions/Status.ts"
import { switchDiscovery } from "./definitions/SwitchDiscovery.ts"
import { transform } from "./definitions/Transform.ts"
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
    switchDiscovery,
    purge,
    unpurge,
    retention
  ])
)
