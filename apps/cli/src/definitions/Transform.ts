import { Command } from "effect/cli"
import * as Lazy from "../Lazy.ts"

export const transform = Command.make("transform").pipe(
  Command.withDescription(
    "Run the transform daemon: migrate, then the bronze -> silver sensor and its transform runs, and the silver -> gold sensor. Reads bronze, writes silver."
  ),
  Command.withHandler(
    Lazy.handler(
      () => import("../commands/Transform.ts"),
      (m) => m.handler
    )
  )
)
