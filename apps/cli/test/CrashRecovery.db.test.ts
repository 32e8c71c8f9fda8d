/**
 * Both daemons killed with SIGKILL at points a seeded PRNG picks (during start-up, migration,
 * fetching, writing bronze, transforming), then started again: silver ends with every item exactly
 * once (items, comments, transcript segments) and bronze holds no partial file.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Prng from "./support/Prng.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

const SEEDS = [1, 2, 3]

/** The first kill lands this long after the spawn (start-up takes about a second). */
const SPAWN_KILL_MS = { min: 300, max: 4000 }
/** The second lands up to this long after the daemon made progress. */
const PROGRESS_KILL_MS = 3000

describe("crash recovery of the daemons as real processes", () => {
  it.live.each(SEEDS)(
    "seed %i: SIGKILL the fetch and the transform daemon, restart them: every item in silver exactly once, no partial file in bronze",
    (seed) =>
      Effect.gen(function* () {
        const random = Prng.make(seed)
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_crash")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-crash-")
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(
          Path.join(dir, "medallion.json"),
          Scenario.config({ serverUrl: server.url, bronzeRoot })
        )
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const daemon = (command: "fetch" | "transform") =>
          Medallion.spawn({ args: [...Medallion.flags(Path.join(dir, `${command}-data`), configFile), command], env })

        // Each daemon is killed twice: at a random point after its spawn (start-up, migration, the first
        // requests), then at a random point once it has made progress (bronze written, items transformed),
        // so every seed also crashes one in the middle of its work. Picked up front: a seed is a schedule.
        const schedule = {
          fetch: [random.between(SPAWN_KILL_MS.min, SPAWN_KILL_MS.max), random.between(0, PROGRESS_KILL_MS)],
          transform: [random.between(SPAWN_KILL_MS.min, SPAWN_KILL_MS.max), random.between(0, PROGRESS_KILL_MS)]
        }
        const progress = {
          fetch: Effect.sync(() => Scenario.visibleBronzeFiles(bronzeRoot) >= 3),
          transform: Effect.map(Silver.items(sql), (rows) => rows.some((row) => row.transformStatus === "transformed"))
        }
        const kills: Array<string> = []
        const killed = (command: "fetch" | "transform", victim: Medallion.MedallionProcess) =>
          Effect.gen(function* () {
            // It must still be running: a daemon that stopped on its own is a failure, not a crash test.
            assert.isUndefined(victim.exit(), `${command} exited before the kill:\n${victim.output()}`)
            yield* victim.kill("SIGKILL")
            const exit = yield* victim.exited
            assert.strictEqual(exit.signal, "SIGKILL")
            const items = yield* Silver.items(sql)
            kills.push(
              `${command}: killed with ${Scenario.visibleBronzeFiles(bronzeRoot)} bronze files, ${items.length} items`
            )
          })
        const crashTwiceThenRestart = (command: "fetch" | "transform") =>
          Effect.gen(function* () {
            const [afterSpawn, afterProgress] = schedule[command] as [number, number]
            const first = yield* daemon(command)
            yield* Effect.sleep(afterSpawn)
            yield* killed(command, first)
            const second = yield* daemon(command)
            yield* Medallion.until(progress[command])
            yield* Effect.sleep(afterProgress)
            yield* killed(command, second)
            return yield* daemon(command)
          })
        const [fetch, transform] = yield* Effect.all(
          [crashTwiceThenRestart("fetch"), crashTwiceThenRestart("transform")],
          { concurrency: 2 }
        )
        const context = `seed ${seed}, schedule ${JSON.stringify(schedule)}\n${kills.join("\n")}`
        // Where the kills landed, so a failing seed can be read next to its schedule.
        yield* Effect.logInfo(context)

        const problems = yield* Scenario.settle(sql, [fetch, transform])
        assert.deepStrictEqual(problems, [], context)

        const bronze = yield* Scenario.bronzeProblems(bronzeRoot)
        assert.deepStrictEqual(bronze.problems, [], context)
        // Hidden temp files of an interrupted write may stay until bronze's reconcile removes them; never more
        // than the writes in progress at the kill.
        assert.isAtMost(bronze.hiddenTempFiles.length, 8, JSON.stringify(bronze.hiddenTempFiles))
        assert.isUndefined(fetch.exit(), fetch.output())
        assert.isUndefined(transform.exit(), transform.output())
      }).pipe(Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    180_000
  )
})
