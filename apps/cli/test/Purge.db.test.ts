/**
 * `medallion purge` on a pipeline that ingested the fixture server: a dry run changes nothing; the purge
 * removes the item's bronze artifacts and silver rows with an audit row (sha256, never content) and a
 * tombstone; a backfill, a reconcile and a restarted pipeline (whose fetch daemon lists the item again)
 * do not bring it back, and gold drops it through the change feed. Silver rebuilt from bronze alone on an
 * empty database holds the same items, the purged one still absent. `unpurge` lifts the tombstone. On an S3
 * store both are refused.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

const ITEM = "900001"

/** Every file under `root` (relative path -> sha256), temp files included. */
const tree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {}
  if (!Fs.existsSync(root)) return out
  for (const entry of Fs.readdirSync(root, { recursive: true, withFileTypes: true }) as Array<Fs.Dirent>) {
    if (!entry.isFile()) continue
    const path = Path.join(entry.parentPath, entry.name)
    out[Path.relative(root, path)] = Crypto.createHash("sha256").update(Fs.readFileSync(path)).digest("hex")
  }
  return out
}

const counts = (sql: PgClient.PgClient) =>
  Effect.map(
    sql<{ items: number; comments: number; purges: number; gold: number }>`
      select (select count(*)::int from items) as items, (select count(*)::int from comments) as comments,
             (select count(*)::int from purge_log) as purges,
             (select coalesce(sum(items), 0)::int from gold_daily_counts where source_type = 'hn') as gold`,
    (rows) => rows[0]!
  )

const hasItem = (sql: PgClient.PgClient) =>
  Effect.map(
    sql<{ n: number }>`select count(*)::int as n from items where source_type = 'hn' and external_id = ${ITEM}`,
    (rows) => rows[0]!.n > 0
  )

const hnItems = (sql: PgClient.PgClient) =>
  Effect.map(sql<{ n: number }>`select count(*)::int as n from items where source_type = 'hn'`, (rows) => rows[0]!.n)

const goldHn = (sql: PgClient.PgClient) => Effect.map(counts(sql), (c) => c.gold)

describe("medallion purge", () => {
  it.live(
    "dry run changes nothing; purge removes bronze and silver, audited and tombstoned; backfill, reconcile and a restarted pipeline do not bring it back",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_purge")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-purge-")
        const dataDir = Path.join(dir, "data")
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(
          Path.join(dir, "medallion.json"),
          Scenario.config({ serverUrl: server.url, bronzeRoot })
        )
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const cli = (...args: ReadonlyArray<string>) =>
          Medallion.run({ args: [...Medallion.flags(dataDir, configFile), ...args], env })
        const start = () => Medallion.spawn({ args: [...Medallion.flags(dataDir, configFile), "start"], env })

        const first = yield* start()
        assert.deepStrictEqual(yield* Scenario.settle(sql, [first]), [])
        yield* Medallion.within(
          "gold counts every hn item",
          Effect.map(Effect.all([goldHn(sql), hnItems(sql)]), ([gold, items]) => gold === items),
          first.output
        )
        yield* first.kill("SIGTERM")
        yield* first.exited

        const itemDir = Path.join(bronzeRoot, "hn", ITEM)
        const itemFiles = tree(itemDir)
        assert.isAbove(Object.keys(itemFiles).length, 1)
        const bronzeBefore = tree(bronzeRoot)
        const silverBefore = yield* counts(sql)
        const [{ comments: itemComments }] = yield* sql<{ comments: number }>`
          select count(*)::int as comments from comments c join items i on i.id = c.item_id
          where i.source_type = 'hn' and i.external_id = ${ITEM}`
        assert.isAbove(itemComments!, 0)

        // A dry run lists what would go and changes nothing, in bronze or in silver.
        const dry = yield* cli("purge", "--source", "hn", "--id", ITEM, "--reason", "takedown request", "--dry-run")
        assert.strictEqual(dry.code, 0, dry.output)
        assert.include(dry.stdout, `would purge hn/${ITEM}: ${Object.keys(itemFiles).length} artifact(s)`)
        assert.include(dry.stdout, "dry run: 1 item(s) would be purged; nothing changed")
        assert.deepStrictEqual(tree(bronzeRoot), bronzeBefore)
        assert.deepStrictEqual(yield* counts(sql), silverBefore)

        const refused = yield* cli("purge", "--source", "hn", "--id", ITEM, "--reason", " ")
        assert.strictEqual(refused.code, 1, refused.output)
        assert.include(refused.output, "--reason must say why")

        const purged = yield* cli(
          "purge",
          "--source",
          "hn",
          "--id",
          ITEM,
          "--reason",
          "takedown #7",
          "--by",
          "ops@test"
        )
        assert.strictEqual(purged.code, 0, purged.output)
        assert.include(purged.stdout, `purged hn/${ITEM}: ${Object.keys(itemFiles).length} artifact(s), 1 item row(s)`)
        assert.match(purged.stderr, /^purge 1\/1 items, [\d.]+ items\/s(, ETA 0 s)?$/m)
        assert.isFalse(Fs.existsSync(itemDir))
        assert.isFalse(yield* hasItem(sql))
        const after = yield* counts(sql)
        assert.strictEqual(after.items, silverBefore.items - 1)
        assert.strictEqual(after.comments, silverBefore.comments - itemComments!)

        // The audit row: who, what (the sha256 of every removed artifact), when, why; never the content.
        const [audit] = yield* sql<{
          action: string
          state: string
          requestedBy: string
          reason: string
          artifacts: ReadonlyArray<{ location: string; sha256: string; size: number }>
          silverRows: { items: number; comments: number }
          finishedAt: Date | null
        }>`select action, state, requested_by, reason, artifacts, silver_rows, finished_at from purge_log`
        assert.deepStrictEqual(
          [audit!.action, audit!.state, audit!.requestedBy, audit!.reason],
          ["purge", "done", "ops@test", "takedown #7"]
        )
        assert.isNotNull(audit!.finishedAt)
        assert.deepStrictEqual(
          Object.fromEntries(audit!.artifacts.map((a) => [a.location.slice(`hn/${ITEM}/`.length), a.sha256])),
          itemFiles
        )
        assert.deepStrictEqual([audit!.silverRows.items, audit!.silverRows.comments], [1, itemComments!])
        assert.notInclude(JSON.stringify(audit), "A story with a comment thread")

        // Nothing brings it back: a full backfill, a reconcile of the whole store, a backfill again.
        for (const command of [["backfill"], ["reconcile"], ["backfill"]]) {
          const result = yield* cli(...command)
          assert.strictEqual(result.code, 0, result.output)
        }
        assert.isFalse(yield* hasItem(sql))
        assert.isFalse(Fs.existsSync(itemDir))

        // Nor the pipeline: the fetch daemon lists the item again and skips it, the transform records no
        // row from the new listing, and gold drops it through the change feed.
        const second = yield* start()
        yield* Medallion.within(
          "a fetch run of hn",
          Effect.sync(() => /source hn: \d+ discovered/.test(second.output())),
          second.output
        )
        yield* Medallion.within(
          "gold without the purged item, the transform caught up",
          Effect.gen(function* () {
            const status = yield* cli("status", "--json")
            const lag = (JSON.parse(status.stdout) as { lag: { artifacts: number } | null }).lag
            return lag?.artifacts === 0 && (yield* goldHn(sql)) === (yield* hnItems(sql))
          }),
          second.output
        )
        assert.isFalse(yield* hasItem(sql))
        assert.isFalse(Fs.existsSync(itemDir))
        assert.strictEqual(yield* goldHn(sql), silverBefore.gold - 1)
        yield* second.kill("SIGTERM")
        yield* second.exited

        // Disaster recovery: silver rebuilt from bronze alone on an empty database holds the same items, and
        // not the purged one (the tombstone is in bronze).
        const fresh = yield* TestDatabase.makeDatabase("medallion_rebuild")
        const rebuilt = yield* Medallion.run({
          args: [...Medallion.flags(Path.join(dir, "rebuilt-data"), configFile), "backfill"],
          env: { DATABASE_URL: Redacted.value(fresh.url) }
        })
        assert.strictEqual(rebuilt.code, 0, rebuilt.output)
        const freshSql = yield* Silver.connect(fresh.url)
        const keys = (client: PgClient.PgClient) =>
          Effect.map(
            client<{ key: string }>`select source_type || '/' || external_id as key from items order by 1`,
            (rows) => rows.map((row) => row.key)
          )
        const live = yield* keys(sql)
        assert.deepStrictEqual(yield* keys(freshSql), live)
        assert.notInclude(live, `hn/${ITEM}`)

        // unpurge lifts the tombstone, audited; what was purged stays gone.
        const lifted = yield* cli("unpurge", "--source", "hn", "--id", ITEM, "--reason", "licence renewed")
        assert.strictEqual(lifted.code, 0, lifted.output)
        assert.include(lifted.stdout, `tombstone lifted: hn/${ITEM}`)
        const actions = yield* sql<{ action: string }>`select action from purge_log order by id`
        assert.deepStrictEqual(
          actions.map((a) => a.action),
          ["purge", "unpurge"]
        )
        assert.isFalse(yield* hasItem(sql))

        // On S3 purge and unpurge are refused before anything is read or deleted, a dry run too.
        const s3Config = Medallion.writeJson(Path.join(dir, "medallion-s3.json"), {
          bronze: { store: "s3", s3: { bucket: "medallion", endpoint: "http://127.0.0.1:9" } }
        })
        for (const args of [
          ["purge", "--source", "hn", "--id", "1", "--reason", "takedown"],
          ["purge", "--source", "hn", "--id", "1", "--reason", "takedown", "--dry-run"],
          ["unpurge", "--source", "hn", "--id", ITEM, "--reason", "licence renewed"]
        ]) {
          const onS3 = yield* Medallion.run({ args: [...Medallion.flags(dataDir, s3Config), ...args], env })
          assert.strictEqual(onS3.code, 1, onS3.output)
          assert.include(onS3.output, "purge and unpurge support the filesystem store only (bronze.store is s3)")
        }
        assert.deepStrictEqual(
          (yield* sql<{ action: string }>`select action from purge_log order by id`).map((a) => a.action),
          ["purge", "unpurge"]
        )
      }).pipe(Effect.scoped, Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    400_000
  )
})
