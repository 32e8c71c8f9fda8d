/**
 * Global setup of the test run: one PostgreSQL server for all test files.
 *
 * With `MEDALLION_TEST_DATABASE_URL` set, that server is used as it is.
 * Otherwise an embedded PostgreSQL starts in a temporary folder on a free port
 * and its maintenance URL is exported under that name for the test workers;
 * it is stopped and its folder removed at the end of the run (and by its
 * watchdog if the runner is killed).
 */
import * as EmbeddedPostgres from "../../packages/silver/src/EmbeddedPostgres.ts"
import * as TestDatabase from "../../packages/silver/src/testing/TestDatabase.ts"
import { Effect, Exit, Redacted, Scope } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export default async function setup() {
  if (process.env[TestDatabase.ADMIN_URL_VARIABLE]) {
    process.env.MEDALLION_TEST_POSTGRES = "external"
    return
  }
  const scope = Effect.runSync(Scope.make())
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-test-pg-"))
  const server = await Effect.runPromise(
    EmbeddedPostgres.start({
      dataDir: Path.join(root, "data"),
      ephemeral: true,
      settings: { ...EmbeddedPostgres.unsafeFastSettings, max_connections: "300" }
    }).pipe(Scope.provide(scope))
  )
  process.env[TestDatabase.ADMIN_URL_VARIABLE] = Redacted.value(server.adminUrl)
  process.env.MEDALLION_TEST_POSTGRES = "embedded"
  process.env.MEDALLION_TEST_POSTGRES_DATA_DIR = server.dataDir
  return async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    Fs.rmSync(root, { recursive: true, force: true })
  }
}
