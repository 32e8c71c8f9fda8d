/**
 * An embedded PostgreSQL that a test stops and starts again on the same port and data dir, as a
 * database server restart looks to the daemons.
 */
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { Effect, Exit, Scope } from "effect"

export const restartable = (dataDir: string) =>
  Effect.map(EmbeddedPostgres.freePort, (port) => ({
    port,
    /** Starts the server; `stop` stops it. Whatever happens in the test, it is stopped at the end. */
    start: Effect.gen(function* () {
      const scope = yield* Scope.make()
      const postgres = yield* EmbeddedPostgres.start({ dataDir, port }).pipe(Scope.provide(scope))
      const stop = Scope.close(scope, Exit.void)
      // A no-op once the test stopped it.
      yield* Effect.addFinalizer(() => stop)
      return { postgres, stop }
    })
  }))
