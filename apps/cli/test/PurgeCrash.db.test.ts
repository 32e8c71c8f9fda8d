/**
 * `medallion purge` killed with SIGKILL midway through a purge of many items, then run again: the rerun
 * completes the purge left unfinished and the rest, each item purged once (one audit row each, all
 * `done`), nothing of them left in bronze or silver.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze, Tombstones } from "@medallion/bronze"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { ItemFixtures, TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const ITEMS = 200

describe("medallion purge killed midway", () => {
  it.live(
    "SIGKILL mid-purge, then the same command again: every item purged exactly once, nothing left",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_purge_crash")
        const dir = yield* Medallion.tempDir("medallion-purge-crash-")
        const bronzeRoot = Path.join(dir, "bronze")
        const items = Array.from({ length: ITEMS }, (_, n) => ItemFixtures.makeItem(n + 1, { comments: 3 }))
        yield* Effect.gen(function* () {
          yield* SilverMigrator.run()
          yield* (yield* ItemRepo).upsert(items)
        }).pipe(
          Effect.provide(ItemRepo.layer.pipe(Layer.provideMerge(SilverDatabase.layerWith({ url: database.url }))))
        )
        yield* Effect.gen(function* () {
          const writer = yield* BronzeWriter
          for (const item of items) {
            for (const artifact of item.artifacts) {
              yield* writer.put(
                {
                  sourceType: item.sourceType,
                  externalId: item.externalId,
                  artifactType: artifact.artifactType,
                  ext: artifact.ext
                },
                new TextEncoder().encode(`${item.externalId} ${artifact.artifactType}`)
              )
            }
          }
        }).pipe(Effect.provide(FileSystemBronze.layerWith({ root: bronzeRoot, catalog: "index" })))

        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot, discovery: "index" }
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const args = [
          ...Medallion.flags(Path.join(dir, "data"), configFile),
          "purge",
          "--source",
          "hn",
          "--match",
          "4*",
          "--reason",
          "licence ended"
        ]
        const sql = yield* Silver.connect(database.url)
        const done = Effect.map(
          Silver.beforeMigration(sql<{ n: number }>`select count(*)::int as n from purge_log where state = 'done'`, [
            { n: 0 }
          ]),
          (rows) => rows[0]!.n
        )

        const victim = yield* Medallion.spawn({ args, env })
        yield* Medallion.within(
          "some items purged",
          Effect.map(done, (n) => n >= 5 || victim.exit() !== undefined),
          victim.output
        )
        yield* victim.kill("SIGKILL")
        const exit = yield* victim.exited
        assert.strictEqual(exit.signal, "SIGKILL", victim.output())
        const atKill = yield* sql<{ state: string; n: number }>`
          select state, count(*)::int as n from purge_log group by state order by state`
        const doneAtKill = atKill.find((r) => r.state === "done")?.n ?? 0
        const startedAtKill = atKill.find((r) => r.state === "started")?.n ?? 0
        assert.isBelow(doneAtKill, ITEMS, "the kill landed after the purge finished")

        const rerun = yield* Medallion.run({ args, env })
        assert.strictEqual(rerun.code, 0, rerun.output)
        assert.include(rerun.stdout, `purge: ${ITEMS - doneAtKill} item(s) purged`)
        if (startedAtKill > 0) assert.include(rerun.stdout, "(completing an unfinished purge)")

        const audit = yield* sql<{ externalId: string; state: string; n: number }>`
          select external_id, min(state) as state, count(*)::int as n from purge_log group by external_id`
        assert.strictEqual(audit.length, ITEMS)
        assert.deepStrictEqual(
          audit.filter((row) => row.n !== 1 || row.state !== "done"),
          []
        )
        const [left] = yield* sql<{ items: number; comments: number }>`
          select (select count(*)::int from items) as items, (select count(*)::int from comments) as comments`
        assert.deepStrictEqual(left, { items: 0, comments: 0 })
        assert.deepStrictEqual(Fs.readdirSync(Path.join(bronzeRoot, "hn")), [])
        const tombstones = Tombstones.foldLines(
          Fs.readFileSync(Path.join(bronzeRoot, Tombstones.TOMBSTONES_FILE_NAME), "utf8")
        )
        assert.strictEqual(tombstones.size, ITEMS)
      }).pipe(Effect.scoped),
    300_000
  )
})
