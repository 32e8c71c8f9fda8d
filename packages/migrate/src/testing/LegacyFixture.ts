/**
 * A legacy database as a combined fetch+transform worker leaves it, built from the real fixtures in
 * `test/fixtures/` (see SOURCES.md): Hacker News stories with the API response, the linked page's HTML,
 * the comment tree and an LLM summary pair in their row; podcast episodes whose `body_text` holds the
 * raw Whisper JSON (or, for one, final text) and some the audio itself; crawled pages as bytea. Broken
 * rows beside them: a NULL id, a duplicate id, invalid JSON, invalid UTF-8 in bytea, a truncated comment
 * tree, an LLM response with no text, and a 20 MB audio blob generated here.
 */
import type { PgClient } from "@effect/sql-pg"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { FeedEntryId } from "@medallion/workers/records"
import { Effect } from "effect"

/** The real captured data the database is built from (its origins and licenses are in `SOURCES.md` there). */
export const FIXTURES = Path.resolve(import.meta.dirname, "..", "..", "test", "fixtures")
export const read = (relative: string): Buffer => Fs.readFileSync(Path.join(FIXTURES, relative))
const json = <A>(relative: string): A => JSON.parse(read(relative).toString("utf8")) as A

export interface HnStory {
  readonly id: number
  readonly title?: string
  readonly url?: string
  readonly by?: string
  readonly time?: number
  readonly score?: number
}

export const showStories = json<ReadonlyArray<HnStory>>("hn/hntitlenator_showstories_full_items.json")
export const PAGES = ["daringfireball-1", "v8-blog", "ars-1", "ietf-1", "mozilla-1", "medium-1"] as const
export const page = (name: string): Buffer => read(`html/${name}.html`)
export const expectedTitle = (name: string): string =>
  json<{ title: string }>(`html/${name}.expected-metadata.json`).title

/** The thread of story 47336100: the story's API response and its comments as one JSON array of raw items. */
export const thread = (() => {
  const dir = Path.join(FIXTURES, "hn/thread_47336100")
  const files = Fs.readdirSync(dir).sort()
  const story = Fs.readFileSync(
    Path.join(
      dir,
      files.find((f) => f.endsWith("_story.json"))!
    )
  )
  const comments = files
    .filter((f) => f.includes("_comment"))
    .map((f) => Fs.readFileSync(Path.join(dir, f)).toString("utf8").trim())
  return { id: 47336100, story, comments: Buffer.from(`[${comments.join(",")}]`), commentCount: comments.length }
})()

interface Pair {
  readonly request: { readonly body: unknown }
  readonly response: { readonly body: unknown }
}
/** The prompt (request body) and response of the first chat completion in a recorded pair file. */
export const llmPair = (file: string): { readonly prompt: string; readonly response: string } => {
  const pair = json<ReadonlyArray<Pair>>(`openai/${file}`).find((p) => typeof p.response.body === "object")!
  return { prompt: JSON.stringify(pair.request.body), response: JSON.stringify(pair.response.body) }
}

export const whisper = read("whisper/openai-whisper_commit1caba7d_jfk.json")
export const whisperOther = read("whisper/chrissolanilla_jfk.json")
export const finalText = read("whisper/chrissolanilla_jfk.txt").toString("utf8")
export const jfkMp3 = read("whisper/jfk.mp3")

/** 20 MB of deterministic bytes behind an ID3 header: a large media value. */
export const bigAudio = (() => {
  const bytes = Buffer.alloc(20 * 1024 * 1024)
  let x = 0x9e3779b9
  for (let i = 0; i < bytes.length; i += 4) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    bytes.writeUInt32LE(x, i)
  }
  bytes.write("ID3", 0, "latin1")
  return bytes
})()

/** A page in windows-1252 (invalid as UTF-8), as an old site serves it. */
export const latin1Page = Buffer.concat([
  Buffer.from('<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Caf', "latin1"),
  Buffer.from([0xe9]),
  Buffer.from(" du march", "latin1"),
  Buffer.from([0xe9]),
  Buffer.from(
    "</title></head><body><article><h1>Menu</h1><p>Le plat du jour est servi tous les midis, avec une entr" +
      "\u00e9e et un dessert maison. Les produits viennent du march\u00e9 voisin.</p>" +
      "<p>R\u00e9servation conseill\u00e9e le vendredi soir et le samedi.</p></article></body></html>",
    "latin1"
  )
])

const BASE_TIME = Date.UTC(2025, 0, 15, 8, 0, 0)
const at = (minutes: number) => new Date(BASE_TIME + minutes * 60_000).toISOString()

export const FEED_URL = "https://podcast.example/feed.xml"
/** The bronze id of an episode: `<feed url> <guid>`, as the feed source keys entries. */
export const episodeId = (guid: string): string => FeedEntryId.entryId(FEED_URL, guid)

export const DUPLICATE_OF = showStories[0]!.id
export const MALFORMED_ID = 19155826

/** Creates the legacy tables in the current database and fills them. */
export const create = (sql: PgClient.PgClient) =>
  Effect.gen(function* () {
    yield* sql.unsafe(`create table stories (
      id serial primary key,
      hn_id bigint,
      title text, url text, author text, score integer, posted_at timestamptz,
      payload bytea,
      raw_html text,
      content_type text,
      comments_json text,
      body_text text,
      summary_prompt jsonb, summary_response jsonb, summary text,
      fetch_status text not null default 'pending',
      fetch_error text,
      fetched_at timestamptz, updated_at timestamptz)`)
    yield* sql.unsafe(`create table episodes (
      guid text primary key,
      feed_url text not null, title text, link text, published_at timestamptz,
      audio_url text, audio_type text,
      audio bytea,
      body_text text,
      transcription_status text, transcription_error text,
      fetched_at timestamptz)`)
    yield* sql.unsafe(`create table pages (
      url text primary key, html bytea, content_type text,
      fetched_at timestamp without time zone, status text, error text)`)

    const story = (row: {
      hnId: number | null
      payload?: Uint8Array | null
      html?: string | null
      contentType?: string | null
      comments?: string | null
      pair?: { prompt: string; response: string } | null
      status?: string
      error?: string | null
      minute: number
    }) => {
      const meta = showStories.find((s) => s.id === row.hnId)
      return sql.unsafe(
        `insert into stories (hn_id, title, url, author, score, posted_at, payload, raw_html, content_type, comments_json,
           body_text, summary_prompt, summary_response, summary, fetch_status, fetch_error, fetched_at, updated_at)
         values ($1, $2, $3, $4, $5, to_timestamp($6), $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16, $17::timestamptz, $17::timestamptz)`,
        [
          row.hnId,
          meta?.title ?? null,
          meta?.url ?? null,
          meta?.by ?? null,
          meta?.score ?? null,
          meta?.time ?? null,
          row.payload ?? null,
          row.html ?? null,
          row.contentType ?? null,
          row.comments ?? null,
          row.html === undefined || row.html === null ? null : "text the legacy worker extracted",
          row.pair?.prompt ?? null,
          row.pair?.response ?? null,
          row.pair === undefined || row.pair === null ? null : "a summary",
          row.status ?? "done",
          row.error ?? null,
          at(row.minute)
        ]
      )
    }
    const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))
    // The thread: an Ask/Show HN with its own text, its comment tree and an LLM summary.
    yield* story({
      hnId: thread.id,
      payload: thread.story,
      comments: thread.comments.toString("utf8"),
      pair: llmPair("pydantic-ai_test_openai_instructions.json"),
      minute: 0
    })
    for (let i = 0; i < 20; i++) {
      const s = showStories[i]!
      yield* story({
        hnId: s.id,
        payload: bytes(s),
        html: page(PAGES[i % PAGES.length]!).toString("utf8"),
        contentType: i % 2 === 0 ? "text/html; charset=utf-8" : null,
        pair: i % 5 === 0 ? llmPair("pydantic-ai_test_openai_model_cerebras_provider.json") : null,
        minute: 1 + i
      })
    }
    yield* story({
      hnId: 8863,
      payload: read("hn/8863_story_apidocs.json"),
      html: page("daringfireball-1").toString("utf8"),
      minute: 30
    })
    yield* story({ hnId: 8104927, payload: read("hn/8104927_story_dead.json"), minute: 31 })
    for (const [i, s] of [showStories[20]!, showStories[21]!].entries()) {
      yield* story({ hnId: s.id, status: "error", error: "HTTP 503 Service Unavailable from the API", minute: 40 + i })
    }
    yield* story({ hnId: showStories[22]!.id, status: "queued", minute: 42 })
    // Broken rows.
    yield* story({ hnId: null, payload: bytes(showStories[23]), minute: 50 })
    yield* story({ hnId: DUPLICATE_OF, payload: bytes(showStories[0]), minute: 51 })
    yield* story({ hnId: MALFORMED_ID, payload: read("hn/19155826_story_handedited_invalid.json"), minute: 52 })
    yield* story({
      hnId: showStories[24]!.id,
      payload: Buffer.concat([Buffer.from([0xff, 0xfe]), bytes(showStories[24])]),
      minute: 53
    })
    yield* story({
      hnId: showStories[25]!.id,
      payload: bytes(showStories[25]),
      comments: '[{"by":"someone","id":1,"parent":',
      minute: 54
    })
    yield* story({
      hnId: showStories[26]!.id,
      payload: bytes(showStories[26]),
      pair: llmPair("pydantic-ai_test_openai_instructions_with_tool_calls_keep_instructions.json"),
      minute: 55
    })

    const episode = (row: {
      guid: string
      audio?: Uint8Array | null
      audioUrl?: string | null
      body?: string | null
      status: string
      error?: string | null
      minute: number
    }) =>
      sql.unsafe(
        `insert into episodes (guid, feed_url, title, link, published_at, audio_url, audio_type, audio, body_text,
           transcription_status, transcription_error, fetched_at)
         values ($1, '${FEED_URL}', $2, $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, $4::timestamptz)`,
        [
          row.guid,
          `Episode ${row.guid}`,
          `https://podcast.example/episodes/${row.guid}`,
          at(row.minute),
          row.audioUrl ?? null,
          row.audioUrl === null || row.audioUrl === undefined ? null : "audio/mpeg",
          row.audio ?? null,
          row.body ?? null,
          row.status,
          row.error ?? null
        ]
      )
    yield* episode({
      guid: "jfk-1",
      audio: jfkMp3,
      audioUrl: "https://podcast.example/media/jfk-1.mp3",
      body: whisper.toString("utf8"),
      status: "done",
      minute: 60
    })
    yield* episode({
      guid: "jfk-2",
      audioUrl: "https://podcast.example/media/jfk-2.mp3",
      body: whisperOther.toString("utf8"),
      status: "done",
      minute: 61
    })
    yield* episode({
      guid: "jfk-3",
      audioUrl: "https://podcast.example/media/jfk-3.mp3",
      body: finalText,
      status: "done",
      minute: 62
    })
    yield* episode({
      guid: "jfk-4",
      audioUrl: "https://podcast.example/media/jfk-4.mp3",
      status: "failed",
      error: "whisper: the API timed out after 600 s",
      minute: 63
    })
    yield* episode({
      guid: "big-1",
      audio: bigAudio,
      audioUrl: "https://podcast.example/media/big-1.mp3",
      body: whisper.toString("utf8"),
      status: "done",
      minute: 64
    })

    const pageRow = (
      url: string,
      html: Uint8Array | null,
      contentType: string | null,
      status: string,
      error: string | null,
      minute: number
    ) =>
      sql.unsafe(
        `insert into pages (url, html, content_type, fetched_at, status, error) values ($1, $2, $3, ($4::timestamptz at time zone 'UTC'), $5, $6)`,
        [url, html, contentType, at(minute), status, error]
      )
    yield* pageRow(
      "https://daringfireball.net/2015/05/article",
      page("daringfireball-1"),
      "text/html; charset=utf-8",
      "ok",
      null,
      70
    )
    yield* pageRow("https://v8.dev/blog/article", page("v8-blog"), null, "ok", null, 71)
    yield* pageRow("https://cafe.example/menu", latin1Page, "text/html", "ok", null, 72)
    yield* pageRow("https://example.org/missing", null, null, "failed", "HTTP 404 Not Found", 73)
  })

/** The mapping of this database, as an operator writes it after reviewing `inspect`'s proposal. */
export const mapping = {
  version: 1,
  tables: [
    {
      table: "stories",
      source: "hn",
      key: "id",
      externalId: "hn_id",
      fetchedAt: "fetched_at",
      updatedAt: "updated_at",
      url: "url",
      fetchStatus: { column: "fetch_status", failed: ["error"], pending: ["queued"], reason: "fetch_error" },
      artifacts: [
        { column: "payload", as: "item" },
        { column: "raw_html", as: "article", contentType: "content_type" },
        { column: "comments_json", as: "comments" },
        { column: "summary_prompt", as: "enrichment-prompt" },
        { column: "summary_response", as: "enrichment-response" }
      ],
      normalized: ["title", "author", "score", "posted_at", "body_text", "summary"]
    },
    {
      table: "episodes",
      source: "feed",
      key: "guid",
      externalId: "guid",
      fetchedAt: "fetched_at",
      url: "link",
      transcriptionStatus: { column: "transcription_status", failed: ["failed"], reason: "transcription_error" },
      entry: {
        title: "title",
        link: "link",
        published: "published_at",
        feedUrl: "feed_url",
        enclosureUrl: "audio_url",
        enclosureType: "audio_type"
      },
      artifacts: [
        { column: "audio", as: "audio", contentType: "audio_type" },
        { column: "body_text", rules: [{ when: "whisper-json", as: "transcript" }, { as: "entry.content" }] }
      ]
    },
    {
      table: "pages",
      source: "web",
      key: "url",
      externalId: "url",
      fetchedAt: "fetched_at",
      url: "url",
      fetchStatus: { column: "status", failed: ["failed"], reason: "error" },
      artifacts: [{ column: "html", as: "page", contentType: "content_type" }]
    }
  ]
} as const
