/**
 * A daemon's own process (each daemon's `main.ts`): the program runs until it fails or a signal stops
 * it, with the `medallion` command's exit codes and reporting. 1: it failed (the cause logged); 2: a
 * configuration error (one line, no stack trace: the message names the file, the key and what was
 * expected); 130: interrupted by SIGINT or SIGTERM, within the shutdown bound armed first.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Path from "node:path"
import { Cause, Config, Console, Effect, Exit, Option } from "effect"
import * as Logging from "./Logging.ts"
import * as MedallionConfig from "./MedallionConfig.ts"
import * as ShutdownBound from "./ShutdownBound.ts"

const FAILURE = 1
const CONFIGURATION = 2
const INTERRUPTED = 130

const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null ? (error as { _tag?: unknown })._tag : undefined

/** A bad configuration file or environment variable: exit 2, as the CLI's. */
const isConfiguration = (error: unknown): boolean =>
  tagOf(error) === "ConfigFileError" || tagOf(error) === "ConfigError"

/**
 * Failures whose message says what to do, reported as one line: the configuration's, and a transform
 * daemon started on the other discovery mode's cursor (`DiscoveryMismatch`).
 */
const isOneLine = (error: unknown): error is { readonly message: string } =>
  isConfiguration(error) || tagOf(error) === "DiscoveryMismatch"

/** The exit code of a daemon's program that ended with `exit`. */
const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.hasInterruptsOnly(exit.cause)) return INTERRUPTED
  return isConfiguration(Cause.squash(exit.cause)) ? CONFIGURATION : FAILURE
}

/** Runs `program` as this process, named `daemon` in its one-line reports. */
export const run = <E>(daemon: string, program: Effect.Effect<unknown, E>): void => {
  ShutdownBound.arm()
  program.pipe(
    Effect.tapCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.void
      const error = Cause.squash(cause)
      return isOneLine(error) ? Console.error(`${daemon}: ${error.message}`) : Effect.logError(cause)
    }),
    NodeRuntime.runMain({ disableErrorReporting: true, teardown: (exit, onExit) => onExit(exitCode(exit)) })
  )
}

/**
 * What a daemon's process reads from the environment, as the CLI reads it: the configuration file
 * (`MEDALLION_CONFIG`, else `./medallion.config.json` when present, else the defaults) with its plug-ins,
 * the filesystem store's folder (`bronze.root`, else `bronze` under `MEDALLION_DATA_DIR`, default
 * `./data`), and the log output (`MEDALLION_LOG_FORMAT`).
 */
export const settings = Effect.gen(function* () {
  const file = yield* Config.option(Config.String("MEDALLION_CONFIG"))
  const dataDir = yield* Config.String("MEDALLION_DATA_DIR").pipe(Config.withDefault("./data"))
  const format = yield* Config.Literals(Logging.LogFormats, "MEDALLION_LOG_FORMAT").pipe(Config.withDefault("pretty"))
  const { config, plugins } = yield* MedallionConfig.load(Option.getOrUndefined(file))
  return {
    config,
    plugins,
    bronzeRoot: Path.resolve(config.bronze.root ?? Path.join(dataDir, "bronze")),
    logging: Logging.layer(format)
  }
})
