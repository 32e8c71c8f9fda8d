// Child process of EmbeddedPostgres.test.ts: starts an ephemeral server,
// prints where it runs, then waits to be killed.
import { Effect } from "effect"
import * as EmbeddedPostgres from "../../src/EmbeddedPostgres.ts"

const dataDir = process.argv[2]!
Effect.runFork(
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* EmbeddedPostgres.start({ dataDir, ephemeral: true })
      process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port })}\n`)
      return yield* Effect.never
    })
  )
)
