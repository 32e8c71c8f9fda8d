/**
 * A daemon's own process (each daemon's `main.ts`): the program runs until it fails or a signal stops
 * it, with the `medallion` command's exit codes and reporting. 1: it failed (the cause logged); 2: a
 * configuration error (one line, no stack trace: the message names the file, the key and what was
 * expected); 130: interrupted by SIGINT or SIGTERM, within the shutdown bound armed first.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import * as ShutdownBound from "./ShutdownBound.ts"

export const FAILURE = 1
export const CONFIGURATION = 2
export const INTERRUPTED = 130

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
export const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
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
