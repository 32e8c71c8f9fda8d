#!/usr/bin/env node
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { cli } from "./Cli.ts"
import * as ShutdownBound from "./ShutdownBound.ts"

ShutdownBound.arm()

cli.pipe(
  Command.run({ version: "0.1.0" }),
  // A bad configuration is the operator's to fix: say what and where, without a stack trace.
  Effect.catchTag("ConfigFileError", (error) =>
    Console.error(`medallion: ${error.message}`).pipe(Effect.andThen(Effect.sync(() => (process.exitCode = 2))))
  ),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
