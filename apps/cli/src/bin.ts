#!/usr/bin/env node
// By path: the package's index also loads its Redis client.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cli } from "./Cli.ts"
import * as ExitCode from "./ExitCode.ts"
import { ShutdownBound } from "@medallion/workers/config"

ShutdownBound.arm()

// One exit-code contract for every command (ExitCode): 0 ok, 1 failure, 2 usage or configuration, 3 not found.
cli.pipe(
  Command.run({ version: "0.1.0" }),
  ExitCode.report,
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, teardown: ExitCode.teardown })
)
