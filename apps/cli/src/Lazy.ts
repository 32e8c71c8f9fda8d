/**
 * A command's handler that imports the command's code when the command runs. The command tree holds
 * only definitions (names, flags, descriptions: `definitions/`), so parsing and `--help` load none of
 * the commands' dependencies (database drivers, the S3 SDK, feed and HTML parsers, worker pools), and
 * a command loads its own code only.
 */
import { Effect } from "effect"

export const handler =
  <M, A, E, R>(load: () => Promise<M>, pick: (module: M) => (input: A) => Effect.Effect<void, E, R>) =>
  (input: A): Effect.Effect<void, E, R> =>
    Effect.flatMap(Effect.promise(load), (module) => pick(module)(input))
