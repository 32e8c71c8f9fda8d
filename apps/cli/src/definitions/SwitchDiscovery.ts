import { Command } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

/**
 * The one step of a move between discovery modes that bronze.discovery alone does not do: the
 * bronze -> silver sensor's cursor, mode-specific, moved to the configured mode.
 */
export const switchDiscovery = Command.make("switch-discovery").pipe(
  Command.withDescription(
    "Move the bronze -> silver sensor to the configured bronze.discovery (scan or index) without handing anything out twice: index lines for every artifact (to index), the new cursor at the end of the catalog, and what the old cursor had not handed out as runs the transform daemon runs when it starts. Stop the daemons first; a switch stopped midway is run again."
  ),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/SwitchDiscovery.ts"),
        (m) => m.handler
      )
    )
  )
)
