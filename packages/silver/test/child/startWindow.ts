// Child process of EmbeddedPostgresStartWindow.test.ts: says `starting`, starts the (persistent) server
// of the data folder, says `ready`, then waits to be killed, at any moment of that.
import { Effect } from "effect"
import * as EmbeddedPostgres from "../../src/EmbeddedPostgres.ts"

const dataDir = process.env["START_WINDOW_DATA_DIR"]!
setInterval(() => {}, 60_000)
process.stdout.write("starting\n")
Effect.runFork(
  Effect.scoped(
    Effect.gen(function* () {
      yield* EmbeddedPostgres.start({ dataDir, settings: EmbeddedPostgres.unsafeFastSettings })
      process.stdout.write("ready\n")
      return yield* Effect.never
    })
  )
)
