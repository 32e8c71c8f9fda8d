/**
 * `medallion migrate-legacy` as processes, end to end on the sample legacy database: inspect proposes a
 * mapping, run writes bronze, the real `medallion transform` daemon rebuilds silver, verify exits 0 when
 * every row is in place and 1 when a bronze file was tampered with, finalize refuses until the bad rows
 * are accepted and then drops the raw columns, and a mapping that no longer fits exits 2.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { LegacyFixture } from "@medallion/migrate/testing"
import { itemLocation } from "@medallion/bronze"
import { TestDatabase } from "@medallion/silver/testing"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Clock, Effect, Redacted } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Medallion from "./support/Medallion.ts"

describe("medallion migrate-legacy", () => {
  it.live(
    "inspect, run, the transform daemon, verify (clean, then a tampered file), finalize",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-migrate-legacy-")
        const legacyDb = yield* TestDatabase.makeDatabase("medallion_cli_legacy")
        const legacy = yield* PgClient.make({ url: legacyDb.url, maxConnections: 2 }).pipe(
          Effect.provide(Reactivity.layer)
        )
        yield* LegacyFixture.create(legacy)
        const silverDb = yield* TestDatabase.makeDatabase("medallion_cli_silver")
        const silver = yield* PgClient.make({ url: silverDb.url, maxConnections: 2 }).pipe(
          Effect.provide(Reactivity.layer)
        )
        const dataDir = Path.join(dir, "data")
        const config = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          sensors: { interval: "1 second" },
          metrics: { fetchPort: 0, transformPort: 0 }
        })
        const env = {
          DATABASE_URL: Redacted.value(silverDb.url),
          MEDALLION_LEGACY_DATABASE_URL: Redacted.value(legacyDb.url)
        }
        const command = (...args: Array<string>) =>
          Medallion.run({ args: [...Medallion.flags(dataDir, config), "migrate-legacy", ...args], env })

        const proposed = Path.join(dir, "proposed.json")
        const inspect = yield* command("inspect", "--out", proposed)
        assert.strictEqual(inspect.code, 0, inspect.output)
        assert.deepStrictEqual(
          JSON.parse(Fs.readFileSync(proposed, "utf8")).tables.map(
            (t: { table: string; source: string }) => `${t.table} ${t.source}`
          ),
          ["public.episodes feed", "public.pages web", "public.stories hn"]
        )

        const mapping = Medallion.writeJson(Path.join(dir, "mapping.json"), LegacyFixture.mapping)
        const plan = yield* command("run", "--mapping", mapping, "--dry-run")
        assert.strictEqual(plan.code, 0, plan.output)
        assert.include(plan.stdout, "plan (nothing written):")
        assert.isFalse(Fs.existsSync(Path.join(dataDir, "bronze")))

        const run = yield* command("run", "--mapping", mapping)
        assert.strictEqual(run.code, 0, run.output)
        assert.include(run.stdout, "run pass 1: 41 row(s)")
        assert.include(run.stdout, "39 in bronze")
        assert.include(run.stdout, "skipped public.stories id=27: hn_id is NULL")

        // Silver, by the transform daemon itself.
        const since = yield* Clock.currentTimeMillis
        yield* Effect.scoped(
          Effect.gen(function* () {
            const daemon = yield* Medallion.spawn({ args: [...Medallion.flags(dataDir, config), "transform"], env })
            const deadline = since + 120_000
            while (true) {
              const [state] = yield* silver
                .unsafe<{ items: number; open: number; quiet: number }>(
                  `select (select count(*)::int from items) as items,
                        (select count(*)::int from sensor_runs where status in ('requested', 'running')) as open,
                        (select count(*)::int from sensor_ticks where sensor = 'bronze-to-silver' and status = 'skipped'
                           and started_at > to_timestamp($1)) as quiet`,
                  [(since + 7000) / 1000]
                )
                .pipe(Effect.orElseSucceed(() => [{ items: 0, open: 1, quiet: 0 }]))
              if (state!.items >= 39 && state!.open === 0 && state!.quiet > 0) break
              if ((yield* Clock.currentTimeMillis) > deadline) {
                assert.fail(`silver did not settle: ${JSON.stringify(state)}\n${daemon.output()}`)
              }
              yield* Effect.sleep("500 millis")
            }
            yield* daemon.kill("SIGTERM")
            yield* daemon.exited
          })
        )

        const clean = yield* command("verify", "--mapping", mapping)
        assert.strictEqual(clean.code, 0, clean.output)
        assert.include(clean.stdout, "differences: 0 unexplained, 8 explained")
        assert.include(clean.stdout, "hn: 32 legacy row(s), 2 not migrated (in the run's report), 30 in silver")
        assert.include(clean.stdout, "verify: clean (41 row(s) checked")
        // Off a terminal its progress is a plain line per tenth of each table, from none to all of its rows.
        const progress = clean.stderr.split("\n").filter((l) => l.startsWith("verify public."))
        assert.isTrue(
          progress.some((l) => /^verify public\.stories: 0\/\d+ rows, /.test(l)),
          clean.stderr
        )
        assert.isTrue(
          progress.some((l) => /^verify public\.stories: (\d+)\/\1 rows, .*unexplained 0/.test(l)),
          clean.stderr
        )

        const episode = itemLocation({ sourceType: "feed", externalId: LegacyFixture.episodeId("jfk-1") })
        const target = Path.join(dataDir, "bronze", episode, "transcript.json")
        const original = Fs.readFileSync(target)
        Fs.chmodSync(target, 0o644)
        Fs.writeFileSync(target, '{"text": "something else", "segments": []}')
        const tampered = yield* command("verify", "--mapping", mapping)
        assert.strictEqual(tampered.code, 1, tampered.output)
        assert.include(
          tampered.stdout,
          `UNEXPLAINED public.episodes guid=jfk-1 (feed/${LegacyFixture.episodeId("jfk-1")}): bronze's transcript.json`
        )
        Fs.writeFileSync(target, original)
        assert.strictEqual((yield* command("verify", "--mapping", mapping)).code, 0)

        const refused = yield* command("finalize", "--mapping", mapping, "--apply", "--confirm", legacyDb.name)
        assert.strictEqual(refused.code, 1, refused.output)
        assert.include(refused.stdout, `ALTER TABLE "public"."pages" DROP COLUMN "html";`)
        assert.include(refused.stdout, "-- NOT YET: 2 row(s) were not migrated")
        const applied = yield* command(
          "finalize",
          "--mapping",
          mapping,
          "--allow-unmigrated",
          "--apply",
          "--confirm",
          legacyDb.name
        )
        assert.strictEqual(applied.code, 0, applied.output)
        assert.include(applied.stdout, "applied 3 statement(s) in one transaction")
        const [left] = yield* legacy.unsafe<{ n: number }>(
          `select count(*)::int as n from information_schema.columns where table_name = 'pages' and column_name = 'html'`
        )
        assert.strictEqual(left!.n, 0)

        // The mapping no longer fits the database: every problem, exit 2.
        const gone = yield* command("run", "--mapping", mapping)
        assert.strictEqual(gone.code, 2, gone.output)
        assert.include(gone.stderr, "no column payload in public.stories")
        assert.include(gone.stderr, "at tables.0.artifacts.0.column")
      }).pipe(Effect.scoped),
    300_000
  )
})
