/**
 * SIGTERM stops each daemon within the documented bound (`ShutdownBound.SHUTDOWN_BOUND_MS`) whatever it
 * is doing: `transform` and `start` with the pathological page (200,000 nested `<div>`s) in the middle of
 * its extraction, `fetch` with a response body that never ends. Nothing half-done is left: bronze holds
 * only whole artifacts, and the unfinished run is done again by the next start (its cursor did not pass it).
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { BronzeReader, BronzeWriter, FileSystemBronze, type ScannedArtifact } from "@medallion/bronze"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer, pathologicalPage } from "@medallion/workers/testing"
import { Clock, Effect, Redacted } from "effect"
import { ShutdownBound } from "@medallion/workers/config"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const NESTED = "https://example.org/nested"
const PLAIN = "https://example.org/plain"
const PLAIN_PAGE = `<!doctype html><html lang="en"><head><title>A plain page</title></head><body><article><h1>A plain page</h1>${"<p>Some ordinary text of an ordinary article, long enough for Readability to keep it.</p>".repeat(12)}</article></body></html>`

/** Polls `check` every 200 ms; fails with `what()` after `seconds`. */
const waitFor = <E, R>(check: Effect.Effect<boolean, E, R>, seconds: number, what: () => string) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + seconds * 1000
    while (!(yield* check)) {
      if ((yield* Clock.currentTimeMillis) > deadline)
        return yield* Effect.die(new Error(`after ${seconds} s: ${what()}`))
      yield* Effect.sleep("200 millis")
    }
  })

/** Bronze with the pathological page and a plain one, as the fetch side stores web pages. */
const seedBronze = (root: string) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    const record = (url: string) =>
      new TextEncoder().encode(
        JSON.stringify({ url, status: 200, headers: { "content-type": "text/html; charset=utf-8" }, redirects: [] })
      )
    for (const [url, page] of [
      [NESTED, pathologicalPage()],
      [PLAIN, new TextEncoder().encode(PLAIN_PAGE)]
    ] as const) {
      yield* writer.put({ sourceType: "web", externalId: url, artifactType: "page", ext: "html" }, page)
      yield* writer.put({ sourceType: "web", externalId: url, artifactType: "page-response", ext: "json" }, record(url))
    }
  }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })))

/** Visible files of bronze that are not whole artifacts of its catalog (a write cut short). */
const partialFiles = (root: string) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const seen = new Map<string, ScannedArtifact>()
    let after: ScannedArtifact | undefined
    for (;;) {
      const page = yield* reader.scan({
        after: after === undefined ? undefined : { mtimeMs: after.mtimeMs, location: after.location },
        limit: 500
      })
      for (const entry of page.entries) seen.set(entry.location, entry)
      after = page.entries.at(-1) ?? after
      if (page.complete || page.entries.length === 0) break
    }
    const problems: Array<string> = []
    const files = (Fs.readdirSync(root, { recursive: true, withFileTypes: true }) as Array<Fs.Dirent>)
      .filter((entry) => entry.isFile())
      .map((entry) => Path.relative(root, Path.join(entry.parentPath, entry.name)).split(Path.sep).join("/"))
      .filter((file) => !file.split("/").some((part) => part.startsWith(".") || part.startsWith("_")))
    for (const file of files) {
      const artifact = seen.get(file)
      if (artifact === undefined) {
        problems.push(`${file}: a visible file that is no artifact`)
        continue
      }
      const bytes = yield* reader.get(artifact.key)
      if (Crypto.createHash("sha256").update(bytes).digest("hex") !== artifact.sha256)
        problems.push(`${file}: its bytes do not match the catalog`)
    }
    return problems
  }).pipe(Effect.provide(FileSystemBronze.layerReaderWith({ root, catalog: "scan" })))

const runningRuns = (sql: PgClient.PgClient) =>
  Silver.beforeMigration(
    Effect.map(
      sql<{ readonly count: number }>`select count(*)::int as count from sensor_runs where status = 'running'`,
      (rows) => rows[0]?.count ?? 0
    ),
    0
  )

const itemOf = (sql: PgClient.PgClient, url: string) =>
  Effect.map(Silver.items(sql), (rows) => rows.find((row) => row.sourceType === "web" && row.externalId === url))

/** Sends SIGTERM and returns how long the process took to exit. */
const terminate = (daemon: Medallion.MedallionProcess) =>
  Effect.gen(function* () {
    assert.isUndefined(daemon.exit(), `the daemon exited before SIGTERM:\n${daemon.output()}`)
    const from = yield* Clock.currentTimeMillis
    yield* daemon.kill("SIGTERM")
    // Waited for past the bound only so that a failure says how long it took.
    yield* waitFor(
      Effect.sync(() => daemon.exit() !== undefined),
      ShutdownBound.SHUTDOWN_BOUND_MS / 1000 + 60,
      () => `no exit after SIGTERM:\n${daemon.output().slice(-3000)}`
    )
    return (yield* Clock.currentTimeMillis) - from
  })

const setup = (serverUrl: string, extractTimeout: string) =>
  Effect.gen(function* () {
    const database = yield* TestDatabase.makeDatabase("medallion_shutdown")
    const sql = yield* Silver.connect(database.url)
    const dir = yield* Medallion.tempDir("medallion-shutdown-")
    const bronzeRoot = Path.join(dir, "bronze")
    yield* seedBronze(bronzeRoot)
    const config = (timeout: string) =>
      Medallion.writeJson(Path.join(dir, `medallion-${timeout.replace(/\W/g, "")}.json`), {
        bronze: { root: bronzeRoot },
        sources: [{ type: "web", name: "stalled", urls: [`${serverUrl}/fault/stall-body`], every: "1 minute" }],
        http: { allowNetworks: ["127.0.0.1/32"], timeout: "10 minutes" },
        sensors: { interval: "1 second", batchSize: 1 },
        transform: { extractTimeout: timeout },
        metrics: { fetchPort: 0, transformPort: 0 }
      })
    const env = { DATABASE_URL: Redacted.value(database.url) }
    const spawn = (command: "start" | "fetch" | "transform", timeout = extractTimeout) =>
      Medallion.spawn({ args: [...Medallion.flags(Path.join(dir, `${command}-data`), config(timeout)), command], env })
    return { sql, bronzeRoot, spawn }
  })

/** The pathological page's run is executing, the plain page already in silver. */
const pageInFlight = (sql: PgClient.PgClient, daemon: Medallion.MedallionProcess) =>
  waitFor(
    Effect.gen(function* () {
      const plain = yield* itemOf(sql, PLAIN)
      return plain?.transformStatus === "transformed" && (yield* runningRuns(sql)) > 0
    }),
    120,
    () => `the pathological page never got in flight:\n${daemon.output().slice(-3000)}`
  )

describe(`SIGTERM stops each daemon within ${ShutdownBound.SHUTDOWN_BOUND_MS / 1000} s`, () => {
  it.live(
    "transform, with the pathological page in the middle of its extraction; the next start does the run again",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const { sql, bronzeRoot, spawn } = yield* setup(server.url, "10 minutes")
        const transform = yield* spawn("transform")
        yield* pageInFlight(sql, transform)
        const took = yield* terminate(transform)
        yield* Effect.logInfo(`transform exited ${took} ms after SIGTERM`)
        assert.isAtMost(took, ShutdownBound.SHUTDOWN_BOUND_MS, transform.output().slice(-3000))
        assert.notInclude(transform.output(), "shutdown did not finish")
        assert.notStrictEqual((yield* itemOf(sql, NESTED))?.transformStatus, "transformed")
        assert.deepStrictEqual(yield* partialFiles(bronzeRoot), [])

        // The unfinished run was not skipped: with a short budget the next daemon records the page failed.
        const again = yield* spawn("transform", "2 seconds")
        yield* waitFor(
          Effect.map(itemOf(sql, NESTED), (row) => row?.transformStatus === "failed"),
          120,
          () => `the page's run was not done again:\n${again.output().slice(-3000)}`
        )
        assert.match((yield* itemOf(sql, NESTED))?.transformError ?? "", /page\.html: extract-timeout: /)
        const second = yield* terminate(again)
        assert.isAtMost(second, ShutdownBound.SHUTDOWN_BOUND_MS)
      }).pipe(Effect.provide(FixtureServer.layer())),
    300_000
  )

  it.live(
    "start (both daemons), with the pathological page in extraction and a response body that never ends",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const { sql, bronzeRoot, spawn } = yield* setup(server.url, "10 minutes")
        const both = yield* spawn("start")
        yield* pageInFlight(sql, both)
        yield* waitFor(
          Effect.sync(() => server.hits("/fault/stall-body") > 0),
          120,
          () => `the stalled page was never requested:\n${both.output().slice(-3000)}`
        )
        const took = yield* terminate(both)
        yield* Effect.logInfo(`start exited ${took} ms after SIGTERM`)
        assert.isAtMost(took, ShutdownBound.SHUTDOWN_BOUND_MS, both.output().slice(-3000))
        assert.deepStrictEqual(yield* partialFiles(bronzeRoot), [])
      }).pipe(Effect.provide(FixtureServer.layer())),
    300_000
  )

  it.live(
    "fetch, with a response body that never ends",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const { bronzeRoot, spawn } = yield* setup(server.url, "10 minutes")
        const fetch = yield* spawn("fetch")
        yield* waitFor(
          Effect.sync(() => server.hits("/fault/stall-body") > 0),
          120,
          () => `the stalled page was never requested:\n${fetch.output().slice(-3000)}`
        )
        const took = yield* terminate(fetch)
        yield* Effect.logInfo(`fetch exited ${took} ms after SIGTERM`)
        assert.isAtMost(took, ShutdownBound.SHUTDOWN_BOUND_MS, fetch.output().slice(-3000))
        assert.deepStrictEqual(yield* partialFiles(bronzeRoot), [])
      }).pipe(Effect.provide(FixtureServer.layer())),
    300_000
  )
})
