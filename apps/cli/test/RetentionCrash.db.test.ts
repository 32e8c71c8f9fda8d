/**
 * `medallion retention` killed with SIGKILL midway through a pass over many items, then run again: the
 * rerun completes the pass left unfinished and the rest. Every old version goes exactly once (one `done`
 * audit row per item, none left `started`), the newest of each item stays, and `status` reports the
 * stopped pass until the rerun completes it.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const ITEMS = 200
const OLD = "item.json"
const NEWEST = "item@2026-01-02T00-00-00Z.json"

describe("medallion retention killed midway", () => {
  it.live(
    "SIGKILL mid-pass, then the same command again: every old version removed once, the newest kept",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_retention_crash")
        const dir = yield* Medallion.tempDir("medallion-retention-crash-")
        const bronzeRoot = Path.join(dir, "bronze")
        // Each item fetched twice; silver holds none of them, so only "the newest stays" protects a version.
        for (let n = 1; n <= ITEMS; n++) {
          const itemDir = Path.join(bronzeRoot, "hn", String(n))
          Fs.mkdirSync(itemDir, { recursive: true })
          Fs.writeFileSync(Path.join(itemDir, OLD), JSON.stringify({ id: n, type: "story", title: `old ${n}` }))
          Fs.writeFileSync(Path.join(itemDir, NEWEST), JSON.stringify({ id: n, type: "story", title: `new ${n}` }))
        }
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          retention: { sources: { hn: { keepVersions: 1 } } }
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const cli = (...args: ReadonlyArray<string>) =>
          Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), configFile), ...args], env })
        const migrated = yield* cli("migrate")
        assert.strictEqual(migrated.code, 0, migrated.output)

        const sql = yield* Silver.connect(database.url)
        const done = Effect.map(
          sql<{ n: number }>`select count(*)::int as n from purge_log where state = 'done'`,
          (rows) => rows[0]!.n
        )
        const args = [...Medallion.flags(Path.join(dir, "data"), configFile), "retention", "--by", "ops@test"]
        const victim = yield* Medallion.spawn({ args, env })
        yield* Medallion.within(
          "some versions removed",
          Effect.map(done, (n) => n >= 5 || victim.exit() !== undefined),
          victim.output
        )
        yield* victim.kill("SIGKILL")
        const exit = yield* victim.exited
        assert.strictEqual(exit.signal, "SIGKILL", victim.output())
        const [atKill] = yield* sql<{ done: number; started: number }>`
          select count(*) filter (where state = 'done')::int as done,
                 count(*) filter (where state = 'started')::int as started from purge_log`
        assert.isBelow(atKill!.done, ITEMS, "the kill landed after the pass finished")

        const stopped = yield* cli("status")
        assert.strictEqual(stopped.code, 0, stopped.output)
        if (atKill!.started > 0) {
          assert.include(stopped.stdout, `${atKill!.started} stopped midway`)
          assert.include(stopped.stdout, "retention pass(es) were stopped midway")
        }

        const rerun = yield* Medallion.run({ args, env })
        assert.strictEqual(rerun.code, 0, rerun.output)
        assert.include(rerun.stdout, `retention: ${ITEMS - atKill!.done} version(s) removed from 1 source(s)`)
        if (atKill!.started > 0) assert.include(rerun.stdout, "(completing an unfinished pass)")

        const audit = yield* sql<{ externalId: string; state: string; n: number; artifacts: number }>`
          select external_id, min(state) as state, count(*)::int as n, sum(jsonb_array_length(artifacts))::int as artifacts
          from purge_log group by external_id`
        assert.strictEqual(audit.length, ITEMS)
        assert.deepStrictEqual(
          audit.filter((row) => row.n !== 1 || row.state !== "done" || row.artifacts !== 1),
          []
        )
        for (let n = 1; n <= ITEMS; n++)
          assert.deepStrictEqual(Fs.readdirSync(Path.join(bronzeRoot, "hn", String(n))), [NEWEST], `hn/${n}`)

        const after = yield* cli("status")
        assert.match(
          after.stdout,
          new RegExp(`^removed +retention removed ${ITEMS} old version\\(s\\) of ${ITEMS} item`, "m")
        )
        assert.notInclude(after.stdout, "stopped midway")
      }).pipe(Effect.scoped),
    300_000
  )
})
