/**
 * The migration of a realistic combined-pipeline database (test/support/LegacyFixture.ts) on a real
 * PostgreSQL: inspect, plan, run into a bronze folder, silver rebuilt by the transform daemon's own
 * bronze -> silver sensor, verify, a rerun, a changed row, a tampered artifact, finalize. The tests run
 * in order on one legacy database, one bronze folder and one silver database.
 */
import { assert, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { BronzeWriter, FileSystemBronze, itemLocation } from "@medallion/bronze"
import { TestDatabase } from "@medallion/silver/testing"
import { ItemRepo, type SilverDatabase } from "@medallion/silver"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Clock, Context, Effect, Layer, Option, type Redacted } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql/SqlClient"
import { Finalize, Inspect, LegacyDatabase, LegacyRun, Mapping, RunState } from "../src/index.ts"
import { Verify } from "../src/verify/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"
import * as Transform from "./support/Transform.ts"

class Setup extends Context.Service<
  Setup,
  {
    readonly legacyUrl: Redacted.Redacted<string>
    /** The legacy application's own (writable) session. */
    readonly legacy: PgClient.PgClient
    readonly silver: Context.Context<SqlClient | PgClient.PgClient | SilverDatabase>
    readonly root: string
    readonly bronzeRoot: string
    readonly stateDir: string
    readonly mapping: Mapping.Mapping
  }
>()("test/Setup") {
  static readonly layer = Layer.effect(
    Setup,
    Effect.gen(function* () {
      const db = yield* TestDatabase.makeDatabase("medallion_legacy")
      const legacy = yield* PgClient.make({ url: db.url, maxConnections: 2 }).pipe(Effect.provide(Reactivity.layer))
      yield* LegacyFixture.create(legacy)
      const silver = yield* Transform.database
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-migrate-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
      const mapping = yield* Mapping.decode("fixture mapping", LegacyFixture.mapping)
      return {
        legacyUrl: db.url,
        legacy,
        silver: silver.context,
        root,
        bronzeRoot: Path.join(root, "bronze"),
        stateDir: RunState.dirFor(Path.join(root, "data"), mapping.digest),
        mapping
      }
    })
  )
}

/** PostgreSQL's SQLSTATE for "cannot execute ... in a read-only transaction". */
const READ_ONLY_SQL_TRANSACTION = "25006"
const sqlState = (error: unknown): string | undefined =>
  (error as { reason?: { cause?: { code?: string } } }).reason?.cause?.code

const sha = (bytes: Uint8Array) => Crypto.createHash("sha256").update(bytes).digest("hex")

/** The layers of a migration command: the read-only legacy session and the bronze folder. */
const migration = (s: Setup["Service"]) =>
  Layer.mergeAll(
    LegacyDatabase.layer({ url: s.legacyUrl }),
    FileSystemBronze.layerWith({ root: s.bronzeRoot, catalog: "scan" })
  )

const runOnce = (s: Setup["Service"]) =>
  LegacyRun.run({ mapping: s.mapping, stateDir: s.stateDir, checkpointRows: 5 }).pipe(Effect.provide(migration(s)))

const verifyOnce = (s: Setup["Service"]) =>
  Verify.verify({ mapping: s.mapping, stateDir: s.stateDir }).pipe(
    Effect.provide(migration(s)),
    Effect.provideContext(s.silver)
  )

/** Runs the transform daemon's sensor until silver has settled on what bronze holds now. */
const transform = (s: Setup["Service"], items: number) =>
  Effect.gen(function* () {
    const since = yield* Clock.currentTimeMillis
    yield* Effect.scoped(
      Effect.gen(function* () {
        yield* Layer.build(Transform.daemon(s.bronzeRoot))
        yield* Transform.settled({ items, since })
      })
    ).pipe(Effect.provideContext(s.silver))
  })

const file = (s: Setup["Service"], relative: string) => Fs.readFileSync(Path.join(s.bronzeRoot, relative))

const silverItem = (s: Setup["Service"], sourceType: string, externalId: string) =>
  ItemRepo.use((repo) => repo.get({ sourceType, externalId })).pipe(
    Effect.map(Option.getOrThrow),
    Effect.provide(ItemRepo.layer),
    Effect.provideContext(s.silver)
  )

/** Items the fixture's migrated rows become (all rows but the NULL id and the duplicate). */
const ITEMS = 30 + 5 + 4

const showStory = LegacyFixture.showStories[0]!
const failedStory = LegacyFixture.showStories[20]!

layer(Setup.layer, { timeout: 120_000, excludeTestServices: true })(
  "migrating a combined pipeline's database",
  (it) => {
    it.effect(
      "inspect proposes a mapping: sources, keys, ids, raw columns as the fetch side's artifacts, statuses",
      () =>
        Effect.gen(function* () {
          const s = yield* Setup
          const proposal = yield* Inspect.inspect().pipe(Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl })))
          const byTable = new Map(proposal.document.tables.map((t) => [t.table, t]))
          const stories = byTable.get("public.stories")!
          assert.strictEqual(stories.source, "hn")
          assert.strictEqual(stories.key, "id")
          assert.strictEqual(stories.externalId, "hn_id")
          assert.strictEqual(stories.fetchedAt, "fetched_at")
          assert.strictEqual(stories.updatedAt, "updated_at")
          assert.deepStrictEqual(stories.fetchStatus, {
            column: "fetch_status",
            failed: ["error"],
            pending: ["queued"],
            reason: "fetch_error"
          })
          const asOf = (t: Mapping.TableMapping, column: string) => t.artifacts.find((a) => a.column === column)
          assert.strictEqual(asOf(stories, "payload")?.as, "item")
          assert.strictEqual(asOf(stories, "raw_html")?.as, "article")
          assert.strictEqual(asOf(stories, "raw_html")?.contentType, "content_type")
          assert.strictEqual(asOf(stories, "comments_json")?.as, "comments")
          assert.strictEqual(asOf(stories, "summary_prompt")?.as, "enrichment-prompt")
          assert.strictEqual(asOf(stories, "summary_response")?.as, "enrichment-response")
          assert.include(stories.normalized ?? [], "body_text")

          const episodes = byTable.get("public.episodes")!
          assert.strictEqual(episodes.source, "feed")
          assert.strictEqual(episodes.externalId, "guid")
          // body_text mixes Whisper JSON and final text: a per-row rule.
          assert.deepStrictEqual(asOf(episodes, "body_text")?.rules, [
            { when: "whisper-json", as: "transcript" },
            { as: "entry.content" }
          ])
          assert.strictEqual(asOf(episodes, "audio")?.as, "audio")
          assert.strictEqual(episodes.entry?.enclosureUrl, "audio_url")
          assert.strictEqual(episodes.transcriptionStatus?.column, "transcription_status")
          assert.deepStrictEqual(episodes.transcriptionStatus?.failed, ["failed"])

          const pages = byTable.get("public.pages")!
          assert.strictEqual(pages.source, "web")
          assert.strictEqual(pages.externalId, "url")
          assert.strictEqual(asOf(pages, "html")?.as, "page")
          assert.deepStrictEqual(pages.fetchStatus?.failed, ["failed"])

          // The proposal is a valid mapping of this database.
          const decoded = yield* Mapping.decode("proposal", proposal.document)
          const catalog = yield* LegacyRun.checkedCatalog(decoded, "proposal").pipe(
            Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl }))
          )
          assert.strictEqual(catalog.length, 3)
        })
    )

    it.effect("plan counts artifacts, bad rows and what silver will hold, and writes nothing", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        // A plan has no bronze service at all: only the legacy session.
        const plan = yield* LegacyRun.plan({ mapping: s.mapping, stateDir: s.stateDir }).pipe(
          Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl }))
        )
        const [stories, episodes, pages] = plan.tables
        assert.strictEqual(stories!.rows, 32)
        assert.deepStrictEqual(stories!.skipped, { "null-id": 1, "duplicate-id": 1 })
        assert.strictEqual(stories!.flagged, 4)
        assert.strictEqual(stories!.artifacts["article.html"]?.count, 21)
        assert.strictEqual(stories!.artifacts["comments@<stamp>.json"]?.count, 2)
        assert.strictEqual(stories!.artifacts["fetch-error@<stamp>.json"]?.count, 2)
        assert.deepStrictEqual(stories!.silver.fetchStatus, { fetched: 27, failed: 2, pending: 1 })
        assert.deepStrictEqual(episodes!.silver.transcriptionStatus, { transcribed: 3, pending: 1, failed: 1 })
        assert.strictEqual(
          episodes!.artifacts["audio.mp3"]?.bytes,
          LegacyFixture.jfkMp3.length + LegacyFixture.bigAudio.length
        )
        assert.deepStrictEqual(pages!.silver.fetchStatus, { fetched: 3, failed: 1 })
        assert.deepStrictEqual(
          plan.badRows.map((l) => [l.kind, l.problem]),
          [
            ["skipped", "null-id"],
            ["skipped", "duplicate-id"],
            ["flagged", "payload"],
            ["flagged", "payload"],
            ["flagged", "comments_json"],
            ["flagged", "summary_response"]
          ]
        )
        assert.include(plan.badRows[1]!.reason, `hn_id ${LegacyFixture.DUPLICATE_OF} is also the id of the row id=2`)
        assert.include(plan.badRows[3]!.reason, "not valid UTF-8")
        // A row over the session's row limit is listed, not read.
        const limited = yield* LegacyRun.plan({ mapping: s.mapping, stateDir: s.stateDir }).pipe(
          Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl, maxRowBytes: 8 * 1024 * 1024 }))
        )
        assert.deepStrictEqual(limited.tables[1]!.skipped, { "too-large": 1 })
        assert.include(
          limited.badRows.find((l) => l.problem === "too-large")?.reason,
          `the row's raw values hold ${LegacyFixture.bigAudio.length + LegacyFixture.whisper.length} bytes`
        )
        // Nothing written: no bronze, no state.
        assert.isFalse(Fs.existsSync(s.bronzeRoot))
        assert.isFalse(Fs.existsSync(s.stateDir))
      })
    )

    it.effect("the migration's session cannot write the legacy database", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        const attempt = (sql: PgClient.PgClient) => sql.unsafe(`update stories set title = 'changed' where id = 1`)
        const plain = yield* LegacyDatabase.LegacyDatabase.use((db) => Effect.flip(attempt(db.sql))).pipe(
          Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl }))
        )
        assert.strictEqual(sqlState(plain), READ_ONLY_SQL_TRANSACTION)
        // The snapshot a run reads in is read-only too, even on a session that could write.
        const inSnapshot = yield* LegacyDatabase.snapshot(
          LegacyDatabase.LegacyDatabase.use((db) => attempt(db.sql))
        ).pipe(Effect.flip, Effect.provide(LegacyDatabase.layerWritable({ url: s.legacyUrl })))
        assert.strictEqual(sqlState(inSnapshot), READ_ONLY_SQL_TRANSACTION)
        const [row] = yield* s.legacy.unsafe<{ title: string | null }>(`select title from stories where id = 1`)
        assert.notStrictEqual(row!.title, "changed")
      })
    )

    it.effect("every statement of the migration's session has a time bound", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        const slow = yield* LegacyDatabase.LegacyDatabase.use((db) =>
          Effect.flip(db.sql.unsafe(`select pg_sleep(5)`))
        ).pipe(Effect.provide(LegacyDatabase.layer({ url: s.legacyUrl, statementTimeout: "200ms" })))
        // query_canceled: "canceling statement due to statement timeout"
        assert.strictEqual(sqlState(slow), "57014")
      })
    )

    it.effect("run writes each raw value as the fetch side's artifact, with provenance, and reports the bad rows", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        const report = yield* runOnce(s)
        assert.strictEqual(report.totals.rows, 41)
        assert.strictEqual(report.totals.migrated, ITEMS)
        assert.strictEqual(report.totals.skipped, 2)
        assert.strictEqual(report.totals.flagged, 4)
        assert.strictEqual(report.badRowCount, 6)

        // Raw values byte for byte, under the names the fetch side uses.
        const thread = LegacyFixture.thread
        assert.deepStrictEqual(file(s, `hn/${thread.id}/item.json`), thread.story)
        assert.deepStrictEqual(file(s, `hn/${thread.id}/comments@2025-01-15T08-00-00Z.json`), thread.comments)
        assert.deepStrictEqual(file(s, `hn/${showStory.id}/article.html`), LegacyFixture.page(LegacyFixture.PAGES[0]))
        const [pair] = yield* s.legacy.unsafe<{ prompt: string; response: string }>(
          `select summary_prompt::text as prompt, summary_response::text as response from stories where id = 1`
        )
        assert.strictEqual(file(s, `hn/${thread.id}/enrichment-prompt.json`).toString("utf8"), pair!.prompt)
        assert.strictEqual(file(s, `hn/${thread.id}/enrichment-response.json`).toString("utf8"), pair!.response)
        // Episodes are keyed `<feed url> <guid>`, as the feed source keys entries.
        const episode = (guid: string, name: string) =>
          `${itemLocation({ sourceType: "feed", externalId: LegacyFixture.episodeId(guid) })}/${name}`
        assert.deepStrictEqual(file(s, episode("jfk-1", "transcript.json")), LegacyFixture.whisper)
        assert.deepStrictEqual(file(s, episode("jfk-1", "audio.mp3")), LegacyFixture.jfkMp3)
        assert.strictEqual(sha(file(s, episode("big-1", "audio.mp3"))), sha(LegacyFixture.bigAudio))
        assert.deepStrictEqual(file(s, "web/~https%3A%2F%2Fcafe%2Eexample%2Fmenu/page.html"), LegacyFixture.latin1Page)
        // Final text is not a transcript: it is the entry's summary.
        assert.isFalse(Fs.existsSync(Path.join(s.bronzeRoot, episode("jfk-3", "transcript.json"))))
        assert.deepStrictEqual(JSON.parse(file(s, episode("jfk-3", "entry.json")).toString("utf8")).content, {
          value: LegacyFixture.finalText,
          type: "text"
        })

        // Provenance: table, key, column, the row's times.
        const record = JSON.parse(file(s, `hn/${showStory.id}/legacy-row.json`).toString("utf8"))
        assert.strictEqual(record.table, "public.stories")
        assert.deepStrictEqual(record.key, { id: "2" })
        assert.strictEqual(record.fetchedAt, "2025-01-15T08:01:00.000Z")
        assert.strictEqual(record.columns.raw_html.artifact, "article.html")
        assert.strictEqual(record.columns.raw_html.sha256, sha(LegacyFixture.page(LegacyFixture.PAGES[0])))
        const response = JSON.parse(file(s, `hn/${showStory.id}/article-response.json`).toString("utf8"))
        assert.deepStrictEqual(response.headers, { "content-type": "text/html; charset=utf-8" })
        assert.strictEqual(response.at, "2025-01-15T08:01:00.000Z")
        // What bronze cannot know: the legacy failure, as the fetch side's failure record.
        const failure = JSON.parse(
          file(s, `hn/${failedStory.id}/fetch-error@2025-01-15T08-40-00Z.json`).toString("utf8")
        )
        assert.strictEqual(failure.message, "HTTP 503 Service Unavailable from the API")
        assert.strictEqual(failure.artifact, "item")

        // The report: every bad row with its reason; the checkpoint says the pass finished.
        const lines = yield* RunState.readReport(s.stateDir)
        assert.deepStrictEqual(
          lines.map((l) => `${l.kind} ${l.key["id"]} ${l.problem}`),
          [
            "skipped 27 null-id",
            "skipped 28 duplicate-id",
            "flagged 29 payload",
            "flagged 30 payload",
            "flagged 31 comments_json",
            "flagged 32 summary_response"
          ]
        )
        const checkpoint = yield* RunState.readCheckpoint(s.stateDir)
        assert.isTrue(Option.getOrThrow(checkpoint).complete)
        // Bronze only: the legacy database is as it was.
        const [count] = yield* s.legacy.unsafe<{ n: number }>(
          `select count(*)::int as n from stories where payload is not null`
        )
        assert.strictEqual(count!.n, 29)
      })
    )

    it.effect("the ordinary transform rebuilds silver from bronze, and verify finds every row in place", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        yield* transform(s, ITEMS)

        const threadItem = yield* silverItem(s, "hn", String(LegacyFixture.thread.id))
        assert.strictEqual(threadItem.comments.length, LegacyFixture.thread.commentCount)
        assert.strictEqual(threadItem.enrichments[0]?.summaryText, "The capital of France is Paris.")
        const story = yield* silverItem(s, "hn", String(showStory.id))
        assert.strictEqual(story.item.title, showStory.title)
        assert.strictEqual(story.item.fetchStatus, "fetched")
        assert.isNotNull(story.item.bodyText)
        assert.notMatch(story.item.bodyText!, /<\/?(p|div|html|body)\b/i)
        const failed = yield* silverItem(s, "hn", String(failedStory.id))
        assert.strictEqual(failed.item.fetchStatus, "failed")
        assert.include(failed.item.fetchError, "HTTP 503 Service Unavailable from the API")
        const dead = yield* silverItem(s, "hn", "8104927")
        assert.strictEqual(dead.item.fetchStatus, "gone")
        const malformed = yield* silverItem(s, "hn", String(LegacyFixture.MALFORMED_ID))
        assert.strictEqual(malformed.item.transformStatus, "failed")

        const episode = yield* silverItem(s, "feed", LegacyFixture.episodeId("jfk-1"))
        assert.strictEqual(episode.item.transcriptionStatus, "transcribed")
        assert.strictEqual(episode.item.bodyText, JSON.parse(LegacyFixture.whisper.toString("utf8")).text.trim())
        assert.strictEqual(episode.segments.length, 1)
        assert.strictEqual(episode.media[0]?.bytes, LegacyFixture.jfkMp3.length)
        // Final text (not Whisper JSON) is the entry's own text: silver's body.
        const told = yield* silverItem(s, "feed", LegacyFixture.episodeId("jfk-3"))
        assert.strictEqual(told.item.bodyText, LegacyFixture.finalText.trim())
        const failedTranscription = yield* silverItem(s, "feed", LegacyFixture.episodeId("jfk-4"))
        assert.strictEqual(failedTranscription.item.transcriptionStatus, "failed")
        assert.include(failedTranscription.item.transcriptionError, "whisper: the API timed out after 600 s")
        const cafe = yield* silverItem(s, "web", "https://cafe.example/menu")
        assert.strictEqual(cafe.item.title, "Café du marché")
        const missing = yield* silverItem(s, "web", "https://example.org/missing")
        assert.strictEqual(missing.item.fetchStatus, "failed")
        assert.include(missing.item.fetchError, "HTTP 404 Not Found")

        const result = yield* verifyOnce(s)
        assert.deepStrictEqual(
          result.differences.filter((d) => !d.explained),
          []
        )
        assert.isTrue(result.clean)
        assert.strictEqual(result.rows, 41)
        assert.deepStrictEqual(result.sources, [
          { source: "hn", legacyRows: 32, notMigrated: 2, inSilver: 30 },
          { source: "feed", legacyRows: 5, notMigrated: 0, inSilver: 5 },
          { source: "web", legacyRows: 4, notMigrated: 0, inSilver: 4 }
        ])
        const count = (source: string, status: string, value: string) =>
          result.counts.find((c) => c.source === source && c.status === status && c.value === value)
        assert.deepStrictEqual(count("hn", "fetch_status", "failed"), {
          source: "hn",
          status: "fetch_status",
          value: "failed",
          legacy: 2,
          silver: 2
        })
        assert.deepStrictEqual(count("feed", "transcription_status", "transcribed"), {
          source: "feed",
          status: "transcription_status",
          value: "transcribed",
          legacy: 4,
          silver: 3
        })
        // Each explained difference says why: the final-text episode, the dead story, the bad rows.
        const explained = result.differences.map((d) => `${d.key}: ${d.what}`)
        assert.isTrue(
          explained.some((d) =>
            d.startsWith("guid=jfk-3: transcription: transcribed in the legacy table, pending in silver")
          )
        )
        assert.isTrue(explained.some((d) => d.startsWith("id=23: fetch_status is gone in silver")))
        assert.isTrue(explained.some((d) => d.startsWith("id=28: not migrated: hn_id")))
        assert.isTrue(explained.some((d) => d.startsWith(`id=29: silver's transform failed`)))
      })
    )

    it.effect("a rerun writes nothing; a changed legacy row becomes a new version, never an overwrite", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        const again = yield* runOnce(s)
        assert.strictEqual(again.totals.written, 0)
        assert.isAbove(again.totals.unchanged, 100)
        assert.strictEqual(again.pass, 2)

        const before = file(s, `hn/${showStory.id}/article.html`)
        yield* s.legacy.unsafe(`update stories set raw_html = $1, updated_at = '2025-02-01T10:00:00Z' where id = 2`, [
          LegacyFixture.page("ietf-1").toString("utf8")
        ])
        const changed = yield* runOnce(s)
        assert.strictEqual(changed.totals.written, 3)
        assert.deepStrictEqual(file(s, `hn/${showStory.id}/article.html`), before)
        assert.deepStrictEqual(
          file(s, `hn/${showStory.id}/article@2025-02-01T10-00-00Z.html`),
          LegacyFixture.page("ietf-1")
        )
        assert.isTrue(
          Fs.existsSync(Path.join(s.bronzeRoot, `hn/${showStory.id}/article-response@2025-02-01T10-00-00Z.json`))
        )
        assert.isTrue(Fs.existsSync(Path.join(s.bronzeRoot, `hn/${showStory.id}/legacy-row@2025-02-01T10-00-00Z.json`)))

        // Until the transform has run, silver is behind bronze, and verify says so.
        const behind = yield* verifyOnce(s)
        assert.deepStrictEqual(
          behind.differences.filter((d) => !d.explained).map((d) => d.key),
          ["id=2"]
        )
        assert.include(behind.differences.find((d) => !d.explained)!.what, "not transformed since")

        yield* transform(s, ITEMS)
        const story = yield* silverItem(s, "hn", String(showStory.id))
        const article = story.artifacts.find((a) => a.artifactType.startsWith("article@"))
        assert.strictEqual(article?.sha256, sha(LegacyFixture.page("ietf-1")))
        const result = yield* verifyOnce(s)
        assert.deepStrictEqual(
          result.differences.filter((d) => !d.explained),
          []
        )

        // A later fetch by the fetch daemon (a newer version than the legacy value): silver follows bronze.
        const refetched = LegacyFixture.showStories[1]!
        yield* BronzeWriter.use((writer) =>
          writer.put(
            {
              sourceType: "hn",
              externalId: String(refetched.id),
              artifactType: "article@2026-01-01T00-00-00Z",
              ext: "html"
            },
            LegacyFixture.page("mozilla-1")
          )
        ).pipe(Effect.provide(FileSystemBronze.layerWith({ root: s.bronzeRoot, catalog: "scan" })))
        yield* transform(s, ITEMS)
        const followed = yield* verifyOnce(s)
        assert.deepStrictEqual(
          followed.differences.filter((d) => !d.explained),
          []
        )
        assert.include(
          followed.differences.find((d) => d.key === "id=3")?.what,
          "bronze holds a newer article than the legacy value (article@2026-01-01T00-00-00Z.html"
        )
      })
    )

    it.effect("verify catches a tampered artifact; finalize runs only after a clean verify, and only when told", () =>
      Effect.gen(function* () {
        const s = yield* Setup
        const target = Path.join(s.bronzeRoot, `hn/${LegacyFixture.thread.id}/item.json`)
        const original = Fs.readFileSync(target)
        Fs.chmodSync(target, 0o644)
        Fs.writeFileSync(target, original.toString("utf8").replace("kilroy123", "kilroy124"))
        const tampered = yield* verifyOnce(s)
        assert.isFalse(tampered.clean)
        const found = tampered.differences.filter((d) => !d.explained)
        assert.lengthOf(found, 1)
        assert.strictEqual(found[0]!.key, "id=1")
        assert.include(found[0]!.what, `bronze's item.json (sha256 ${sha(Fs.readFileSync(target)).slice(0, 12)}`)
        assert.include(found[0]!.what, `differs from the legacy value (sha256 ${sha(original).slice(0, 12)}`)

        const legacy = LegacyDatabase.layer({ url: s.legacyUrl })
        const refused = yield* Finalize.plan({ mapping: s.mapping, stateDir: s.stateDir, allowUnmigrated: true }).pipe(
          Effect.provide(legacy)
        )
        assert.deepStrictEqual(refused.blockers, ["the last verify found 1 unexplained difference(s)"])
        const apply = yield* Effect.flip(
          Finalize.apply(refused).pipe(Effect.provide(LegacyDatabase.layerWritable({ url: s.legacyUrl })))
        )
        assert.strictEqual(apply._tag, "FinalizeRefused")

        Fs.writeFileSync(target, original)
        assert.isTrue((yield* verifyOnce(s)).clean)
        const blocked = yield* Finalize.plan({ mapping: s.mapping, stateDir: s.stateDir }).pipe(Effect.provide(legacy))
        assert.lengthOf(blocked.blockers, 1)
        assert.include(blocked.blockers[0], "2 row(s) were not migrated and would lose their raw values")
        const ready = yield* Finalize.plan({ mapping: s.mapping, stateDir: s.stateDir, allowUnmigrated: true }).pipe(
          Effect.provide(legacy)
        )
        assert.deepStrictEqual(ready.blockers, [])
        assert.deepStrictEqual(ready.statements, [
          `ALTER TABLE "public"."stories" DROP COLUMN "payload", DROP COLUMN "raw_html", DROP COLUMN "comments_json", DROP COLUMN "summary_prompt", DROP COLUMN "summary_response";`,
          `ALTER TABLE "public"."episodes" DROP COLUMN "audio", DROP COLUMN "body_text";`,
          `ALTER TABLE "public"."pages" DROP COLUMN "html";`
        ])
        // The read-only session cannot run them; the writable one, opened for finalize alone, does.
        const readOnly = yield* Effect.flip(Finalize.apply(ready).pipe(Effect.provide(legacy)))
        assert.strictEqual(sqlState(readOnly), READ_ONLY_SQL_TRANSACTION)
        assert.strictEqual(
          yield* Finalize.apply(ready).pipe(Effect.provide(LegacyDatabase.layerWritable({ url: s.legacyUrl }))),
          3
        )
        const columns = yield* s.legacy.unsafe<{ name: string }>(
          `select column_name as name from information_schema.columns where table_name = 'stories' order by ordinal_position`
        )
        assert.notInclude(
          columns.map((c) => c.name),
          "raw_html"
        )
        assert.include(
          columns.map((c) => c.name),
          "title"
        )
      })
    )
  }
)
