/**
 * `medallion switch-discovery` from scan to index mode, between real transform daemons: a daemon started
 * on the other mode's cursor stops with what to do; the switch writes the index, moves the cursor to its
 * end and requests exactly what the scan cursor had not handed out (items written after the daemon
 * stopped, and an old-mtime file the cursor had passed), so the index-mode daemon transforms those and
 * nothing else, then goes on with new artifacts from the index.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { TestDatabase } from "@medallion/silver/testing"
import { type Duration, Effect, Redacted, Schedule } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

/** A real Hacker News API response (its source: packages/workers/test/fixtures/server/SOURCES.md), renumbered. */
const STORY = JSON.parse(
  Fs.readFileSync(
    Path.resolve(import.meta.dirname, "../../../packages/workers/test/fixtures/server/hn/8863_story_apidocs.json"),
    "utf8"
  )
) as Record<string, unknown>
const story = (id: number) => JSON.stringify({ ...STORY, id, kids: [], descendants: 0, title: `Story ${id}` })

const writeInPlace = (bronzeRoot: string, id: number) => {
  const dir = Path.join(bronzeRoot, "hn", String(id))
  Fs.mkdirSync(dir, { recursive: true })
  Fs.writeFileSync(Path.join(dir, "item.json"), story(id))
  return Path.join(dir, "item.json")
}

const transformed = (sql: PgClient.PgClient) =>
  Effect.map(Silver.items(sql), (rows) =>
    rows
      .filter((row) => row.transformStatus === "transformed")
      .map((row) => Number(row.externalId))
      .sort((a, b) => a - b)
  )

/** Waits until silver holds `count` transformed items (or the daemon exited, which the test then reports). */
const untilTransformed = (
  sql: PgClient.PgClient,
  daemon: Medallion.MedallionProcess,
  count: number,
  what: string,
  budget?: Duration.Input
) =>
  Medallion.within(
    what,
    Effect.map(transformed(sql), (ids) => ids.length === count || daemon.exit() !== undefined),
    daemon.output,
    budget
  )

/** SIGTERM, then its exit. */
const stopped = (daemon: Medallion.MedallionProcess) => Effect.andThen(daemon.kill("SIGTERM"), daemon.exited)

const runs = (sql: PgClient.PgClient) =>
  sql<{ runKey: string; status: string; items: ReadonlyArray<{ externalId: string }> }>`
    select run_key, status, item_keys as items from sensor_runs where sensor = 'bronze-to-silver' order by requested_at, run_key`

/** A database, a bronze folder and a config file per discovery mode, for the CLI and its daemons. */
const installation = (name: string) =>
  Effect.gen(function* () {
    const database = yield* TestDatabase.makeDatabase(name)
    const sql = yield* Silver.connect(database.url)
    const dir = yield* Medallion.tempDir("medallion-switch-discovery-")
    const bronzeRoot = Path.join(dir, "bronze")
    const dataDir = Path.join(dir, "data")
    const config = (discovery: "scan" | "index") =>
      Medallion.writeJson(Path.join(dir, `medallion-${discovery}.json`), {
        bronze: { root: bronzeRoot, discovery },
        sensors: { interval: "1 second", batchSize: 10 },
        metrics: { fetchPort: 0, transformPort: 0 }
      })
    const env = { DATABASE_URL: Redacted.value(database.url) }
    const scanConfig = config("scan")
    const indexConfig = config("index")
    const cli = (configFile: string, ...args: ReadonlyArray<string>) =>
      Medallion.run({ args: [...Medallion.flags(dataDir, configFile), ...args], env })
    const start = (configFile: string, ...args: ReadonlyArray<string>) =>
      Medallion.spawn({ args: [...Medallion.flags(dataDir, configFile), ...args], env })
    const daemon = (configFile: string) => start(configFile, "transform")
    const migrated = yield* cli(scanConfig, "migrate")
    assert.strictEqual(migrated.code, 0, migrated.output)
    return { sql, bronzeRoot, scanConfig, indexConfig, cli, start, daemon }
  })

/** Puts a story through the writer of index mode (which appends its index line), as a refetch with `version`. */
const putIndexed = (bronzeRoot: string, id: number, version?: string) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    const artifactType = version === undefined ? "item" : `item@${version}`
    const body =
      version === undefined ? story(id) : JSON.stringify({ ...JSON.parse(story(id)), title: `Story ${id}, edited` })
    yield* writer.put(
      { sourceType: "hn", externalId: String(id), artifactType, ext: "json" },
      new TextEncoder().encode(body)
    )
  }).pipe(Effect.provide(FileSystemBronze.layerWith({ root: bronzeRoot, catalog: "index" })))

const cursorOf = (sql: PgClient.PgClient) =>
  Effect.map(
    sql<{ cursor: { _tag: string } }>`select cursor from sensor_state where sensor = 'bronze-to-silver'`,
    (rows) => rows[0]!.cursor
  )

/** How many runs handed out each item, for those handed out other than once. */
const handedOutTwice = (all: ReadonlyArray<{ items: ReadonlyArray<{ externalId: string }> }>) => {
  const counts = new Map<string, number>()
  for (const run of all)
    for (const item of run.items) counts.set(item.externalId, (counts.get(item.externalId) ?? 0) + 1)
  return [...counts].filter(([, n]) => n !== 1)
}

describe("medallion switch-discovery", () => {
  it.live(
    "scan to index: the start on the old cursor refused, the lag requested once, nothing transformed twice",
    () =>
      Effect.gen(function* () {
        const { bronzeRoot, cli, daemon, indexConfig, scanConfig, sql } =
          yield* installation("medallion_switch_discovery")

        // Scan mode: five items handed out and transformed, then the daemon stops.
        for (const id of [1, 2, 3, 4, 5]) writeInPlace(bronzeRoot, id)
        const scanDaemon = yield* daemon(scanConfig)
        yield* untilTransformed(sql, scanDaemon, 5, "the scan-mode daemon transformed the first items")
        // Not while a daemon holds the sensor.
        const busy = yield* cli(indexConfig, "switch-discovery")
        assert.strictEqual(busy.code, 1, busy.output)
        assert.include(busy.output, "stop the transform daemons first")
        yield* stopped(scanDaemon)
        const before = yield* runs(sql)
        assert.isTrue(
          before.every((run) => run.runKey.startsWith("scan:") && run.status === "succeeded"),
          JSON.stringify(before)
        )

        // Written while no daemon runs: two new items, one with an old mtime the scan cursor has passed, and a
        // refetched version of an item silver has (only the old cursor's lag knows it is not handed out).
        for (const id of [6, 7]) writeInPlace(bronzeRoot, id)
        Fs.writeFileSync(
          Path.join(bronzeRoot, "hn", "3", "item@2026-12-01T00-00-00Z.json"),
          JSON.stringify({ ...JSON.parse(story(3)), title: "Story 3, edited" })
        )
        const late = writeInPlace(bronzeRoot, 8)
        Fs.utimesSync(late, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"))

        // bronze.discovery changed alone: the daemon stops at once, saying what to do.
        const refusing = yield* daemon(indexConfig)
        yield* Medallion.within(
          "the start on the other mode's cursor to stop",
          Effect.sync(() => refusing.exit() !== undefined),
          refusing.output,
          "60 seconds"
        )
        assert.strictEqual(refusing.exit()!.code, 1, refusing.output())
        assert.include(refusing.output(), 'is a scan-mode cursor, but bronze.discovery is "index"')
        assert.include(refusing.output(), "medallion switch-discovery")
        assert.notMatch(refusing.output(), /^\s+at /m, "one line for the operator, no stack trace")

        const switched = yield* cli(indexConfig, "switch-discovery")
        assert.strictEqual(switched.code, 0, switched.output)
        assert.include(switched.stdout, "index: 9 line(s) added for 9 artifact(s)")
        assert.include(switched.stdout, "moved from scan to index mode over 9 artifact(s)")
        assert.include(switched.stdout, "4 item(s) in 1 run(s)")
        const [state] = yield* sql<{ cursor: { _tag: string; offset: number } }>`
          select cursor from sensor_state where sensor = 'bronze-to-silver'`
        assert.strictEqual(state!.cursor._tag, "Index")
        assert.strictEqual(state!.cursor.offset, Fs.statSync(Path.join(bronzeRoot, "_index.jsonl")).size)
        const requested = (yield* runs(sql)).filter((run) => run.runKey.startsWith("switch:"))
        assert.deepStrictEqual(
          requested.map((run) => [run.status, run.items.map((item) => item.externalId).sort()]),
          [["requested", ["3", "6", "7", "8"]]]
        )
        const again = yield* cli(indexConfig, "switch-discovery")
        assert.strictEqual(again.code, 0, again.output)
        assert.include(again.stdout, "is in index mode already")

        // The index-mode daemon runs the requested run, then new artifacts from the index; nothing else.
        const indexDaemon = yield* daemon(indexConfig)
        yield* untilTransformed(sql, indexDaemon, 8, "the index-mode daemon transformed what the switch requested")
        yield* putIndexed(bronzeRoot, 9)
        yield* untilTransformed(sql, indexDaemon, 9, "a new artifact in index mode")
        yield* stopped(indexDaemon)
        assert.deepStrictEqual(yield* transformed(sql), [1, 2, 3, 4, 5, 6, 7, 8, 9])
        const titles = new Map((yield* Silver.items(sql)).map((row) => [row.externalId, row.title]))
        assert.strictEqual(titles.get("3"), "Story 3, edited")

        // Each artifact was handed out once: the first five items by scan, four by the switch (item 3 for its
        // new version only), one by the index.
        const after = yield* runs(sql)
        assert.deepStrictEqual(handedOutTwice(after), [["3", 2]])
        assert.deepStrictEqual(
          after.map((run) => [run.runKey.split(":")[0], run.status, run.items.length]),
          [
            ...before.map((run) => ["scan", "succeeded", run.items.length]),
            ["switch", "succeeded", 4],
            ["index", "succeeded", 1]
          ]
        )
      }).pipe(Effect.scoped),
    240_000
  )

  it.live(
    "index to scan: the lag of the index cursor requested once, then new files found by the scan",
    () =>
      Effect.gen(function* () {
        const { bronzeRoot, cli, daemon, indexConfig, scanConfig, sql } = yield* installation(
          "medallion_switch_discovery_back"
        )
        for (const id of [1, 2, 3]) yield* putIndexed(bronzeRoot, id)
        const indexDaemon = yield* daemon(indexConfig)
        yield* untilTransformed(sql, indexDaemon, 3, "the index-mode daemon transformed the first items")
        yield* stopped(indexDaemon)

        // Appended to the index while no daemon runs, so the index cursor has not handed them out: a new item,
        // and a refetched version of an item silver has.
        yield* putIndexed(bronzeRoot, 4)
        yield* putIndexed(bronzeRoot, 2, "2026-12-01T00-00-00Z")
        const switched = yield* cli(scanConfig, "switch-discovery")
        assert.strictEqual(switched.code, 0, switched.output)
        assert.include(switched.stdout, "moved from index to scan mode over 5 artifact(s)")
        assert.include(switched.stdout, "2 item(s) in 1 run(s)")
        const [state] = yield* sql<{ cursor: { _tag: string } }>`
          select cursor from sensor_state where sensor = 'bronze-to-silver'`
        assert.strictEqual(state!.cursor._tag, "Scan")

        const scanDaemon = yield* daemon(scanConfig)
        yield* untilTransformed(sql, scanDaemon, 4, "the scan-mode daemon transformed what the switch requested")
        writeInPlace(bronzeRoot, 5)
        yield* untilTransformed(sql, scanDaemon, 5, "a new file in scan mode")
        yield* stopped(scanDaemon)
        const titles = new Map((yield* Silver.items(sql)).map((row) => [row.externalId, row.title]))
        assert.strictEqual(titles.get("2"), "Story 2, edited")
        const after = yield* runs(sql)
        assert.deepStrictEqual(handedOutTwice(after), [["2", 2]])
        assert.deepStrictEqual(after.map((run) => [run.runKey.split(":")[0], run.status]).slice(-2), [
          ["switch", "succeeded"],
          ["scan", "succeeded"]
        ])
      }).pipe(Effect.scoped),
    240_000
  )

  it.live(
    "a switch killed with SIGKILL midway writes no cursor and no run, and its rerun completes it",
    () =>
      Effect.gen(function* () {
        const { bronzeRoot, cli, daemon, indexConfig, scanConfig, sql, start } = yield* installation(
          "medallion_switch_discovery_killed"
        )
        for (const id of [1, 2, 3]) writeInPlace(bronzeRoot, id)
        const scanDaemon = yield* daemon(scanConfig)
        yield* untilTransformed(sql, scanDaemon, 3, "the scan-mode daemon transformed the first items")
        yield* stopped(scanDaemon)
        const scanCursor = yield* cursorOf(sql)

        // Enough artifacts that the index is written in several appends; the kill lands after the first.
        const ids = Array.from({ length: 3000 }, (_, i) => 4 + i)
        for (const id of ids) writeInPlace(bronzeRoot, id)
        const index = Path.join(bronzeRoot, "_index.jsonl")
        const first = yield* start(indexConfig, "switch-discovery")
        yield* Effect.sync(() => Fs.existsSync(index) && Fs.statSync(index).size > 0).pipe(
          Effect.repeat({
            until: (written) => written || first.exit() !== undefined,
            schedule: Schedule.spaced("5 millis")
          })
        )
        yield* first.kill("SIGKILL")
        assert.strictEqual((yield* first.exited).signal, "SIGKILL", first.output())
        assert.deepStrictEqual(yield* cursorOf(sql), scanCursor, "the killed switch moved the cursor")
        assert.deepStrictEqual(
          (yield* runs(sql)).filter((run) => run.runKey.startsWith("switch:")),
          []
        )

        // The rerun waits out the killed one's lease, then does the whole switch.
        let rerun = yield* cli(indexConfig, "switch-discovery")
        if (rerun.code !== 0) assert.include(rerun.output, "expires within 30 s")
        yield* Medallion.within(
          "the rerun to complete once the killed switch's lease expired",
          Effect.gen(function* () {
            if (rerun.code !== 0) rerun = yield* cli(indexConfig, "switch-discovery")
            return rerun.code === 0
          }),
          () => rerun.output,
          "90 seconds"
        )
        assert.include(rerun.stdout, `${ids.length} item(s) in`)
        assert.strictEqual((yield* cursorOf(sql))._tag, "Index")

        const indexDaemon = yield* daemon(indexConfig)
        yield* untilTransformed(
          sql,
          indexDaemon,
          3 + ids.length,
          "the index-mode daemon transformed the rest",
          "180 seconds"
        )
        yield* stopped(indexDaemon)
        assert.deepStrictEqual(handedOutTwice(yield* runs(sql)), [])
      }).pipe(Effect.scoped),
    360_000
  )
})
