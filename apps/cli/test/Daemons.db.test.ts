/**
 * `medallion fetch` and `medallion transform` as two separate processes, each with its own data
 * dir, sharing only the bronze folder and the database: the fetch daemon ingests the loopback
 * fixture server into bronze, the transform daemon turns it into silver, and `medallion status
 * --json` reports what silver holds.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

interface StatusJson {
  readonly items: { readonly total: number; readonly bySource: Readonly<Record<string, number>> }
  readonly fetchStatus: Readonly<Record<string, number>>
  readonly transcriptionStatus: Readonly<Record<string, number>>
  readonly transformStatus: Readonly<Record<string, number>>
}

/** Both daemons on a fresh database and a shared bronze folder under a temp dir. */
const startBoth = (serverUrl: string) =>
  Effect.gen(function* () {
    const database = yield* TestDatabase.makeDatabase("medallion_e2e")
    const sql = yield* Silver.connect(database.url)
    const dir = yield* Medallion.tempDir("medallion-e2e-")
    const bronzeRoot = Path.join(dir, "bronze")
    const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), Scenario.config({ serverUrl, bronzeRoot }))
    const env = { DATABASE_URL: Redacted.value(database.url) }
    const fetch = yield* Medallion.spawn({
      args: [...Medallion.flags(Path.join(dir, "fetch-data"), configFile), "fetch"],
      env
    })
    const transform = yield* Medallion.spawn({
      args: [...Medallion.flags(Path.join(dir, "transform-data"), configFile), "transform"],
      env
    })
    return { sql, dir, bronzeRoot, configFile, env, fetch, transform }
  })

describe("the fetch and the transform daemon as separate processes", () => {
  it.live(
    "ingest the fixture server into silver: every item once, the podcast transcribed; status --json reports it",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const { bronzeRoot, configFile, dir, env, fetch, sql, transform } = yield* startBoth(server.url)

        const problems = yield* Scenario.settle(sql, [fetch, transform])
        assert.deepStrictEqual(problems, [])
        // The sixth story of the top list is beyond maxItems: never requested.
        for (const item of Scenario.DISCOVERED_ONLY)
          assert.strictEqual(server.hits(`/v0/item/${item.split("/")[1]}.json`), 0)
        assert.isAbove(server.hits("/v1/audio/transcriptions"), 0)

        const bronze = yield* Scenario.bronzeProblems(bronzeRoot)
        assert.deepStrictEqual(bronze.problems, [])
        assert.deepStrictEqual(bronze.hiddenTempFiles, [])

        const status = yield* Medallion.run({
          args: [...Medallion.flags(Path.join(dir, "status-data"), configFile), "status", "--json"],
          env
        })
        assert.strictEqual(status.code, 0, status.output)
        const report = JSON.parse(status.stdout) as StatusJson
        const stories = Scenario.MAX_ITEMS + Scenario.DISCOVERED_ONLY.length
        assert.strictEqual(report.items.bySource["hn"], stories)
        assert.strictEqual(report.items.bySource["feed"], Scenario.PODCAST_ENTRIES.length)
        assert.strictEqual(
          report.items.total,
          Object.values(report.items.bySource).reduce((a, b) => a + b, 0)
        )
        // Listed beyond maxItems: skipped with the reason, never pending forever.
        assert.strictEqual(report.fetchStatus["skipped"], Scenario.DISCOVERED_ONLY.length)
        assert.isUndefined(report.fetchStatus["pending"])
        assert.isAtLeast(report.fetchStatus["fetched"] ?? 0, Scenario.expectedItems.length)
        assert.strictEqual(report.transcriptionStatus["transcribed"], Scenario.PODCAST_ENTRIES.length)
        assert.isAtLeast(report.transformStatus["transformed"] ?? 0, Scenario.expectedItems.length)

        // Both daemons were still running: none of them stopped on its own.
        assert.isUndefined(fetch.exit(), fetch.output())
        assert.isUndefined(transform.exit(), transform.output())
      }).pipe(Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    180_000
  )
})
