/**
 * Nothing in the migration is tied to one legacy schema: another database, with other table and column
 * names, a schema of its own, a composite key, `json` and `jsonb` payloads, a timestamp without a zone,
 * a date and a uuid key, migrates and verifies clean with a mapping of its own, and resumes after a
 * composite key.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { FileSystemBronze } from "@medallion/bronze"
import { ItemRepo } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { FeedEntryId } from "@medallion/workers/records"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Clock, Effect, Layer, Option } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { LegacyDatabase, LegacyRun, Mapping, RunState } from "../src/index.ts"
import { Verify } from "../src/verify/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"
import * as Transform from "./support/Transform.ts"

const EPISODE = "4f1c6a52-8e0b-4bb0-9c52-6f0a1d3e2b71"
const FAILED_EPISODE = "9d2e7b10-3c44-4e8a-a1f5-0b6c7d8e9f01"

const schema = (sql: PgClient.PgClient) =>
  Effect.gen(function* () {
    yield* sql.unsafe(`create schema crawl`)
    yield* sql.unsafe(`create table crawl.news_items (
      source text not null, item_no integer not null,
      hn text, api_response json, page_source text, discussion json,
      crawled timestamp without time zone, state text, last_error text,
      primary key (source, item_no))`)
    yield* sql.unsafe(`create table crawl.casts (
      episode uuid primary key, feed text, name text, href text, aired date, mp3 text,
      whisper_output jsonb, transcript_state text, transcript_problem text)`)
    const news = (
      item: number,
      hn: string | null,
      api: string | null,
      page: string | null,
      discussion: string | null,
      state: string,
      error: string | null
    ) =>
      sql.unsafe(
        `insert into crawl.news_items values ('hn', $1, $2, $3::json, $4, $5::json, '2024-06-01 12:00:00'::timestamp + ($1 || ' minutes')::interval, $6, $7)`,
        [item, hn, api, page, discussion, state, error]
      )
    const thread = LegacyFixture.thread
    yield* news(1, String(thread.id), thread.story.toString("utf8"), null, thread.comments.toString("utf8"), "OK", null)
    for (let i = 0; i < 3; i++) {
      const s = LegacyFixture.showStories[30 + i]!
      yield* news(
        2 + i,
        String(s.id),
        JSON.stringify(s),
        LegacyFixture.page(LegacyFixture.PAGES[i]!).toString("utf8"),
        null,
        "OK",
        null
      )
    }
    yield* news(5, String(LegacyFixture.showStories[33]!.id), null, null, null, "FAILED", "connection reset by peer")
    // The same story crawled twice, under two item numbers: the second is a duplicate.
    yield* news(
      6,
      String(LegacyFixture.showStories[30]!.id),
      JSON.stringify(LegacyFixture.showStories[30]),
      null,
      null,
      "OK",
      null
    )
    // A second HN table: one story of its own, one the first table already has (a collision).
    yield* sql.unsafe(`create table crawl.more_news (id integer primary key, story bigint not null, body json)`)
    yield* sql.unsafe(`insert into crawl.more_news values (1, $1, $2::json), (2, $3, $4::json)`, [
      LegacyFixture.showStories[34]!.id,
      JSON.stringify(LegacyFixture.showStories[34]),
      LegacyFixture.thread.id,
      thread.story.toString("utf8")
    ])
    yield* sql.unsafe(
      `insert into crawl.casts values ($1, 'https://casts.example/rss', 'JFK', 'https://casts.example/jfk', '2024-05-30', 'https://casts.example/jfk.mp3', $2::jsonb, 'OK', null)`,
      [EPISODE, LegacyFixture.whisperOther.toString("utf8")]
    )
    yield* sql.unsafe(
      `insert into crawl.casts values ($1, 'https://casts.example/rss', 'Lost', 'https://casts.example/lost', '2024-05-31', 'https://casts.example/lost.mp3', '{"error": "quota exceeded"}'::jsonb, 'ERR', 'quota exceeded')`,
      [FAILED_EPISODE]
    )
  })

const mappingDocument = {
  version: 1,
  tables: [
    {
      table: "crawl.news_items",
      source: "hn",
      key: ["source", "item_no"],
      externalId: "hn",
      fetchedAt: "crawled",
      fetchStatus: { column: "state", failed: ["FAILED"], reason: "last_error" },
      artifacts: [
        { column: "api_response", as: "item" },
        { column: "page_source", as: "article" },
        { column: "discussion", as: "comments" }
      ]
    },
    {
      table: "crawl.more_news",
      source: "hn",
      key: "id",
      externalId: "story",
      artifacts: [{ column: "body", as: "item" }]
    },
    {
      table: "crawl.casts",
      source: "feed",
      key: "episode",
      externalId: "episode",
      url: "href",
      transcriptionStatus: { column: "transcript_state", failed: ["ERR"], reason: "transcript_problem" },
      entry: { title: "name", link: "href", published: "aired", feedUrl: "feed", enclosureUrl: "mp3" },
      artifacts: [{ column: "whisper_output", rules: [{ when: "whisper-json", as: "transcript" }] }]
    }
  ]
}

describe("a legacy database of another shape", () => {
  it.live(
    "migrates, resumes after a composite key, and verifies clean with its own mapping",
    () =>
      Effect.gen(function* () {
        const db = yield* TestDatabase.makeDatabase("medallion_legacy_other")
        const legacy = yield* PgClient.make({ url: db.url, maxConnections: 2 }).pipe(Effect.provide(Reactivity.layer))
        yield* schema(legacy)
        const silver = yield* Transform.database
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-migrate-other-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
        const bronzeRoot = Path.join(root, "bronze")
        const mapping = yield* Mapping.decode("other mapping", mappingDocument)
        const stateDir = RunState.dirFor(Path.join(root, "data"), mapping.digest)
        const layers = Layer.mergeAll(
          LegacyDatabase.layer({ url: db.url }),
          FileSystemBronze.layerWith({ root: bronzeRoot, catalog: "index" })
        )

        const first = yield* LegacyRun.run({ mapping, stateDir }).pipe(Effect.provide(layers))
        assert.strictEqual(first.totals.rows, 10)
        assert.strictEqual(first.totals.skipped, 2)
        assert.deepStrictEqual(
          first.badRows.map((l) => [l.kind, l.problem, l.key]),
          [
            ["skipped", "duplicate-id", { source: "hn", item_no: "6" }],
            ["skipped", "collision", { id: "2" }],
            ["unmatched", "whisper_output", { episode: FAILED_EPISODE }]
          ]
        )
        assert.include(first.badRows[1]!.reason, `item hn/${LegacyFixture.thread.id} also comes from crawl.news_items`)
        const [api] = yield* legacy.unsafe<{ text: string }>(
          `select api_response::text as text from crawl.news_items where item_no = 2`
        )
        const story = LegacyFixture.showStories[30]!
        assert.strictEqual(Fs.readFileSync(Path.join(bronzeRoot, `hn/${story.id}/item.json`), "utf8"), api!.text)

        // A pass interrupted after (hn, 3): the next one reads only the rows after that key.
        const saved = Option.getOrThrow(yield* RunState.readCheckpoint(stateDir))
        yield* RunState.save(stateDir, {
          ...saved,
          complete: false,
          table: 0,
          after: ["hn", "3"],
          totals: { ...RunState.emptyTotals, rows: 3, migrated: 3 }
        })
        const resumed = yield* LegacyRun.run({ mapping, stateDir }).pipe(Effect.provide(layers))
        assert.isTrue(resumed.resumed)
        assert.strictEqual(resumed.tables[0]!.rows, 3)
        assert.strictEqual(resumed.totals.rows, 10)
        assert.strictEqual(resumed.totals.written, 0)

        const since = yield* Clock.currentTimeMillis
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Layer.build(Transform.daemon(bronzeRoot))
            yield* Transform.settled({ items: 8, since })
          })
        ).pipe(Effect.provideContext(silver.context))
        const get = (sourceType: string, externalId: string) =>
          ItemRepo.use((repo) => repo.get({ sourceType, externalId })).pipe(
            Effect.map(Option.getOrThrow),
            Effect.provide(ItemRepo.layer),
            Effect.provideContext(silver.context)
          )
        const cast = (guid: string) => FeedEntryId.entryId("https://casts.example/rss", guid)
        const episode = yield* get("feed", cast(EPISODE))
        assert.strictEqual(episode.item.bodyText, JSON.parse(LegacyFixture.whisperOther.toString("utf8")).text.trim())
        assert.strictEqual(episode.item.transcriptionStatus, "transcribed")
        const lost = yield* get("feed", cast(FAILED_EPISODE))
        assert.strictEqual(lost.item.transcriptionStatus, "failed")
        assert.include(lost.item.transcriptionError, "quota exceeded")
        const threadItem = yield* get("hn", String(LegacyFixture.thread.id))
        assert.strictEqual(threadItem.comments.length, LegacyFixture.thread.commentCount)
        const failed = yield* get("hn", String(LegacyFixture.showStories[33]!.id))
        assert.include(failed.item.fetchError, "connection reset by peer")

        const verified = yield* Verify.verify({ mapping, stateDir }).pipe(
          Effect.provide(layers),
          Effect.provideContext(silver.context)
        )
        assert.deepStrictEqual(
          verified.differences.filter((d) => !d.explained),
          []
        )
        assert.strictEqual(verified.rows, 10)
      }).pipe(Effect.scoped),
    180_000
  )
})
