/**
 * `medallion start` on the embedded default (no DATABASE_URL): both daemons in one process with a
 * PostgreSQL of its own under the data dir. It ingests the fixture server into silver, `status`
 * attaches to its server, and SIGTERM stops it cleanly, the PostgreSQL server with it.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Option } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

/** A clean stop (daemons interrupted, the server shut down with a fast stop) fits well inside this. */
const STOP_WITHIN = "30 seconds"

describe("medallion start on the embedded PostgreSQL", () => {
  it.live(
    "ingests into silver, status attaches to its server, SIGTERM stops it and leaves no PostgreSQL behind",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const dir = yield* Medallion.tempDir("medallion-start-")
        const dataDir = Path.join(dir, "data")
        const postgresDir = Path.join(dataDir, "postgres")
        const configFile = Medallion.writeJson(
          Path.join(dir, "medallion.json"),
          Scenario.config({ serverUrl: server.url, bronzeRoot: Path.join(dataDir, "bronze") })
        )
        const start = yield* Medallion.spawn({ args: [...Medallion.flags(dataDir, configFile), "start"] })
        // A leftover server from a failed run of this test is stopped all the same.
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            const pid = EmbeddedPostgres.runningServerPid(postgresDir)
            if (pid !== undefined) process.kill(pid, "SIGQUIT")
          })
        )

        // Attach only once the daemon says its server is up: until then it has not recorded itself as the
        // owner, and an attaching process would take the starting server for a stale one and stop it.
        yield* Medallion.until(
          Effect.sync(() => start.exit() !== undefined || start.output().includes("embedded PostgreSQL started"))
        )
        assert.isUndefined(start.exit(), start.output())
        const pid = EmbeddedPostgres.runningServerPid(postgresDir)!

        // The test reads silver like any second command does: attached to the daemon's server.
        const attached = yield* EmbeddedPostgres.start({ dataDir: postgresDir, attach: true })
        assert.isFalse(attached.owned)
        assert.strictEqual(attached.pid, pid)
        const sql = yield* Silver.connect(attached.urlFor("medallion"))
        const problems = yield* Scenario.settle(sql, [start])
        assert.deepStrictEqual(problems, [])

        const status = yield* Medallion.run({
          args: [...Medallion.flags(dataDir, configFile), "status", "--json"]
        })
        assert.strictEqual(status.code, 0, status.output)
        const report = JSON.parse(status.stdout) as {
          readonly items: { readonly bySource: Readonly<Record<string, number>> }
          readonly transcriptionStatus: Readonly<Record<string, number>>
        }
        assert.strictEqual(report.items.bySource["feed"], Scenario.PODCAST_ENTRIES.length)
        assert.strictEqual(report.transcriptionStatus["transcribed"], Scenario.PODCAST_ENTRIES.length)
        // The status command attached: the daemon's server is the one still running.
        assert.strictEqual(EmbeddedPostgres.runningServerPid(postgresDir), pid)

        yield* start.kill("SIGTERM")
        const exit = yield* Effect.timeoutOption(start.exited, STOP_WITHIN)
        assert.isTrue(Option.isSome(exit), `no exit ${STOP_WITHIN} after SIGTERM:\n${start.output()}`)
        assert.isFalse(EmbeddedPostgres.isAlive(pid), `PostgreSQL (pid ${pid}) outlived the daemon`)
        assert.isUndefined(EmbeddedPostgres.runningServerPid(postgresDir))
        assert.isFalse(Fs.existsSync(Path.join(postgresDir, "postmaster.pid")))
        // It exited on its own after the interruption (not killed by the signal), with the code of an interrupted run.
        assert.deepStrictEqual(
          exit.pipe(Option.map((e) => [e.signal, e.code])),
          Option.some([null, 130]),
          start.output()
        )
      }).pipe(Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    180_000
  )
})
