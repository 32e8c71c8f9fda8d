// Child process of EmbeddedPostgres.test.ts: starts a server (ephemeral unless
// a second argument is given), prints where it runs, then waits to be killed.
import { Effect } from "effect"
import * as EmbeddedPostgres from "../../src/EmbeddedPostgres.ts"

const dataDir = process.argv[2]!
// Keep the process alive until it is killed: a fiber waiting forever holds no handle.
setInterval(() => {}, 60_000)
const ephemeral = process.argv[3] === undefined
Effect.runFork(
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* EmbeddedPostgres.start({ dataDir, ephemeral })
      process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port })}\n`)
      return yield* Effect.never
    })
  )
)
