/**
 * The exit codes of `medallion`, one contract for every command, decided in one place (`bin.ts` runs the
 * CLI with `teardown`) from how the command ended:
 *
 * | code | meaning                                                                                   |
 * | ---- | ----------------------------------------------------------------------------------------- |
 * | 0    | done (also `--help`, `--version`)                                                         |
 * | 1    | the command failed (a database, bronze or run failure)                                   |
 * | 2    | usage or configuration error: an unknown command or flag, a missing argument, a bad file, |
 * |      | an operator command on a data dir that holds no installation                              |
 * | 3    | not found: the item, run or sensor named does not exist                                   |
 * | 130  | interrupted (SIGINT, SIGTERM); `demo`, which runs until stopped, exits 0 then            |
 *
 * A command says "not found" by failing with `NotFound`, and refuses what it cannot do with `Refused`
 * (exit 1); usage errors come from the CLI parser (`ShowHelp` with errors) and configuration errors as
 * `ConfigFileError` (a bad variable as Effect's `ConfigError`); a data dir with no installation is
 * `NoInstallation`.
 */
import { Cause, Console, Effect, Exit, Schema } from "effect"
import type { Runtime } from "effect"

export const OK = 0
export const FAILURE = 1
export const USAGE = 2
export const NOT_FOUND = 3
export const INTERRUPTED = 130

/** What the command was asked about does not exist: an item, a run, a sensor. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

/** The command could not do what it was asked, for a reason the operator can act on (one line, exit 1). */
export class Refused extends Schema.TaggedError<Refused>()("Refused", {
  message: Schema.String
}) {}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { _tag: string })._tag
    : undefined

/** The CLI parser's request to show help: with errors it is a usage error, without it is `--help`. */
const isUsageError = (error: unknown): boolean =>
  tagOf(error) === "ShowHelp" && ((error as { errors?: ReadonlyArray<unknown> }).errors?.length ?? 0) > 0

let stopIsTheEnd = false

/**
 * Declares that this command runs until it is asked to stop (the demo): SIGINT or SIGTERM is then its
 * normal end, exit 0, so `pnpm medallion demo` stopped with Ctrl-C is no failure. Daemons keep 130.
 */
export const runsUntilStopped: Effect.Effect<void> = Effect.sync(() => {
  stopIsTheEnd = true
})

/** The exit code of a command that ended with `exit`. */
export const of = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return OK
  if (Cause.hasInterruptsOnly(exit.cause)) return stopIsTheEnd ? OK : INTERRUPTED
  const error = Cause.squash(exit.cause)
  switch (tagOf(error)) {
    case "ShowHelp":
      return isUsageError(error) ? USAGE : OK
    case "ConfigFileError":
    case "ConfigError":
    case "NoInstallation":
      return USAGE
    case "NotFound":
      return NOT_FOUND
    default:
      return FAILURE
  }
}

/** The runtime's teardown: the process exits with `of(exit)`. */
export const teardown: Runtime.Teardown = (exit, onExit) => onExit(of(exit))

/**
 * Reports how a command failed, once, on stderr: the operator's own errors (a bad configuration, a
 * name that does not exist) as one line without a stack trace, usage errors not at all (the parser
 * printed them with the help), anything else with its cause.
 */
export const report = <A, E, R>(command: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapCause(command, (cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.void
    const error = Cause.squash(cause)
    switch (tagOf(error)) {
      case "ShowHelp":
        return Effect.void
      case "ConfigFileError":
      case "ConfigError":
      case "NoInstallation":
      case "NotFound":
      case "Refused":
      // A transform daemon started on the other discovery mode's cursor: the message says what to do.
      case "DiscoveryMismatch":
        return Console.error(`medallion: ${(error as { message: string }).message}`)
      default:
        return Effect.logError(cause)
    }
  })
