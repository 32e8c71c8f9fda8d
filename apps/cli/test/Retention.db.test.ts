/**
 * `medallion retention` on an item refetched three times: the version silver derives from stays while
 * silver derives from it, however old; a dry run lists and changes nothing; each pass is a
 * `retention` row of `purge_log`; an S3 store is refused; and a backfill, a reconcile and a backfill again bring no removed
 * version back (bronze's folder and silver's provenance both hold only what stayed).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

/** A real Hacker News API response (its source: packages/workers/test/fixtures/server/SOURCES.md). */
const STORY = Path.resolve(
  import.meta.dirname,
  "../../../packages/workers/test/fixtures/server/hn/8863_story_apidocs.json"
)
const OLDER = "item@2026-01-01T00-00-00Z.json"
const NEWEST = "item@2026-01-02T00-00-00Z.json"

const provenance = (sql: PgClient.PgClient) =>
  Effect.map(
    sql<{ location: string }>`
      select a.location from item_artifacts a join items i on i.id = a.item_id
      where i.source_type = 'hn' and i.external_id = '8863' order by 1`,
    (rows) => rows.map((r) => r.location.slice("hn/8863/".length))
  )

describe("medallion retention", () => {
  it.live(
    "keeps what silver derives from; dry run changes nothing; audited; backfill and reconcile bring nothing back",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_retention")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-retention-")
        const dataDir = Path.join(dir, "data")
        const bronzeRoot = Path.join(dir, "bronze")
        const itemDir = Path.join(bronzeRoot, "hn", "8863")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          retention: { sources: { hn: { keepVersions: 1 } } }
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const cli = (...args: ReadonlyArray<string>) =>
          Effect.tap(Medallion.run({ args: [...Medallion.flags(dataDir, configFile), ...args], env }), (result) =>
            Effect.sync(() => assert.strictEqual(result.code, 0, result.output))
          )
        const files = () => Fs.readdirSync(itemDir).sort()

        yield* cli("migrate")
        Fs.mkdirSync(itemDir, { recursive: true })
        Fs.copyFileSync(STORY, Path.join(itemDir, "item.json"))
        yield* cli("backfill")
        assert.deepStrictEqual(yield* provenance(sql), ["item.json"])

        // Refetched twice since; silver still derives from the first version until it is transformed again.
        Fs.copyFileSync(STORY, Path.join(itemDir, OLDER))
        Fs.copyFileSync(STORY, Path.join(itemDir, NEWEST))
        const first = yield* cli("retention", "--by", "ops@test")
        assert.include(first.stdout, `removed 1 version(s) of hn/8863: ${OLDER}`)
        assert.match(first.stderr, /^retention 1\/1 items, [\d.]+ items\/s(, ETA 0 s)?$/m)
        assert.deepStrictEqual(files(), ["item.json", NEWEST])

        yield* cli("backfill")
        assert.deepStrictEqual(yield* provenance(sql), [NEWEST])
        const dry = yield* cli("retention", "--dry-run")
        assert.include(dry.stdout, "would remove hn/8863: 1 version(s)")
        assert.include(dry.stdout, "dry run: 1 version(s) would be removed; nothing changed")
        assert.deepStrictEqual(files(), ["item.json", NEWEST])

        const second = yield* cli("retention", "--by", "ops@test")
        assert.include(second.stdout, "removed 1 version(s) of hn/8863: item.json")
        for (const command of [["backfill"], ["reconcile"], ["backfill"]]) yield* cli(...command)
        assert.deepStrictEqual(files(), [NEWEST])
        assert.deepStrictEqual(yield* provenance(sql), [NEWEST])

        const audit = yield* sql<{
          action: string
          state: string
          requestedBy: string
          artifacts: ReadonlyArray<{ location: string; sha256: string }>
        }>`select action, state, requested_by, artifacts from purge_log order by id`
        assert.deepStrictEqual(
          audit.map((a) => [a.action, a.state, a.requestedBy, a.artifacts.map((x) => x.location)]),
          [
            ["retention", "done", "ops@test", [`hn/8863/${OLDER}`]],
            ["retention", "done", "ops@test", ["hn/8863/item.json"]]
          ]
        )
        assert.notInclude(JSON.stringify(audit), "My YC app")
        const status = yield* cli("status")
        assert.match(status.stdout, /^removed +retention removed 2 old version\(s\) of 1 item\(s\), last \d{4}-/m)

        // No policy for a source: refused with what to configure.
        const refused = yield* Medallion.run({
          args: [...Medallion.flags(dataDir, configFile), "retention", "--source", "web"],
          env
        })
        assert.strictEqual(refused.code, 1, refused.output)
        assert.include(refused.output, "no retention policy for source web")

        // On S3 it is refused, as a purge is, before anything is read or deleted.
        const s3Config = Medallion.writeJson(Path.join(dir, "medallion-s3.json"), {
          bronze: { store: "s3", s3: { bucket: "medallion", endpoint: "http://127.0.0.1:9" } },
          retention: { sources: { hn: { keepVersions: 1 } } }
        })
        for (const args of [["retention"], ["retention", "--dry-run"]]) {
          const onS3 = yield* Medallion.run({ args: [...Medallion.flags(dataDir, s3Config), ...args], env })
          assert.strictEqual(onS3.code, 1, onS3.output)
          assert.include(onS3.output, "retention supports the filesystem store only (bronze.store is s3)")
        }
        assert.deepStrictEqual(files(), [NEWEST])
      }).pipe(Effect.scoped),
    200_000
  )
})
