/**
 * PostgreSQL goes away in the middle of a run and comes back on the same port: the daemons are not
 * restarted, they reconnect on their own and finish the work (every item in silver exactly once).
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Postgres from "./support/Postgres.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

/** How long the server stays down: long enough for the daemons' queries and ticks to fail meanwhile. */
const DOWN_FOR = "3 seconds"

describe("a PostgreSQL restart during a run", () => {
  it.live(
    "the daemons recover on their own and finish the work",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const dir = yield* Medallion.tempDir("medallion-pg-restart-")
        const dataDir = Path.join(dir, "postgres")
        const postgres = yield* Postgres.restartable(dataDir)
        const first = yield* postgres.start

        const url = first.postgres.adminUrl
        const sql = yield* Silver.connect(url)
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(
          Path.join(dir, "medallion.json"),
          Scenario.config({ serverUrl: server.url, bronzeRoot })
        )
        const env = { DATABASE_URL: Redacted.value(url) }
        const fetch = yield* Medallion.spawn({
          args: [...Medallion.flags(Path.join(dir, "fetch-data"), configFile), "fetch"],
          env
        })
        const transform = yield* Medallion.spawn({
          args: [...Medallion.flags(Path.join(dir, "transform-data"), configFile), "transform"],
          env
        })

        // Mid-run: the first item reached silver, the fetch daemon is still busy with the rest.
        yield* Medallion.until(
          Effect.map(Silver.items(sql), (rows) => rows.some((row) => row.transformStatus === "transformed"))
        )
        const before = (yield* Silver.items(sql)).filter((row) => row.transformStatus === "transformed").length
        yield* first.stop
        assert.isFalse(EmbeddedPostgres.isAlive(first.postgres.pid))
        yield* Effect.sleep(DOWN_FOR)
        assert.isUndefined(fetch.exit(), fetch.output())
        assert.isUndefined(transform.exit(), transform.output())

        const second = yield* postgres.start
        assert.strictEqual(second.postgres.port, postgres.port)

        const problems = yield* Scenario.settle(sql, [fetch, transform])
        assert.deepStrictEqual(problems, [], `${before} item(s) were transformed before the stop`)
        // The same two processes did it all: neither exited, neither was started again.
        assert.isUndefined(fetch.exit(), fetch.output())
        assert.isUndefined(transform.exit(), transform.output())
        assert.isBelow(before, Scenario.expectedItems.length, "the stop came after all the work was done")

        const bronze = yield* Scenario.bronzeProblems(bronzeRoot)
        assert.deepStrictEqual(bronze.problems, [])
      }).pipe(Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    180_000
  )
})
