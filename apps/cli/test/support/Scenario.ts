/**
 * The one ingestion scenario every end-to-end test runs: the loopback fixture server with five
 * Hacker News stories on its top list (real captured items, plus one story with a comment thread
 * written for the tests) and the podcast feed whose two episodes carry the JFK clip, transcribed by
 * the server's Whisper endpoint. Here: the configuration file, what silver must end up holding,
 * and the checks on silver and bronze.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { PgClient } from "@effect/sql-pg"
import { BronzeReader, FileSystemBronze, type ScannedArtifact } from "@medallion/bronze"
import { fixturesDir, type FixtureServerOptions } from "@medallion/workers/testing"
import { Duration, Effect, Option, Schedule } from "effect"
import type * as Medallion from "./Medallion.ts"
import * as Silver from "./Silver.ts"

/** 2025-11-27T05:00:00Z: old enough that the comments are never due for a refetch during a test. */
const TIME = 1_764_219_600

const thread = {
  900001: {
    by: "pg",
    descendants: 4,
    id: 900001,
    kids: [900002, 900003, 900004],
    score: 10,
    time: TIME,
    title: "A story with a comment thread",
    type: "story",
    url: "{{base}}/articles/tumblr.html"
  },
  900002: { by: "a", id: 900002, kids: [900005], parent: 900001, text: "first", time: TIME + 60, type: "comment" },
  900003: { deleted: true, id: 900003, parent: 900001, time: TIME + 120, type: "comment" },
  900004: { by: "b", dead: true, id: 900004, parent: 900001, text: "[dead]", time: TIME + 180, type: "comment" },
  900005: { by: "c", id: 900005, parent: 900002, text: "reply", time: TIME + 240, type: "comment" }
}

/**
 * The top list: the story with the thread, a captured text story (no link) and three captured
 * Show HN stories with a link and few comments (their comment ids are not served: fetched as
 * failures, never stored). `maxItems` (5) takes the first five; the sixth is only discovered.
 */
const TOP = [900001, 121003, 21510582, 21506989, 21503735, 21505986]
export const MAX_ITEMS = 5
/**
 * Listed beyond `maxItems`: silver records it as listed but not to be fetched (`skipped`, with the limit as
 * its reason), the fetch daemon never asks for it.
 */
export const DISCOVERED_ONLY = TOP.slice(MAX_ITEMS).map((id) => `hn/${id}`)

export const serverOptions: FixtureServerOptions = { hnItems: thread, topStories: TOP }

/** Every comment id of a story, walking `kids` through what the server serves. */
const commentTree = (id: number): ReadonlyArray<string> => {
  const served = thread as Record<number, { readonly kids?: ReadonlyArray<number> } | undefined>
  const out: Array<string> = []
  let level = [...(served[id]?.kids ?? [])]
  while (level.length > 0) {
    const next: Array<number> = []
    for (const kid of level) {
      if (served[kid] === undefined) continue
      out.push(String(kid))
      next.push(...(served[kid].kids ?? []))
    }
    level = next
  }
  return out.sort()
}

/** The podcast's entries by guid; silver and bronze key them `<feed url> <guid>` (see `named`). */
export const PODCAST_ENTRIES = ["fixture-podcast-jfk-mp3", "fixture-podcast-jfk-wav"]

/**
 * A feed entry's key as the scenario names it: its guid, since the scoped id (`<feed url> <guid>`)
 * holds the fixture server's port, which differs from run to run.
 */
const named = (row: { readonly sourceType: string; readonly externalId: string }) =>
  row.sourceType === "feed" && row.externalId.includes(" ")
    ? { sourceType: row.sourceType, externalId: row.externalId.slice(row.externalId.lastIndexOf(" ") + 1) }
    : row

/** `source_type/external_id` of every item that must be fetched and transformed. */
export const expectedItems: ReadonlyArray<string> = [
  ...PODCAST_ENTRIES.map((id) => `feed/${id}`),
  ...TOP.slice(0, MAX_ITEMS).map((id) => `hn/${id}`)
].sort()

/** Comment ids per story (stories without one have no comment rows). */
export const expectedComments: ReadonlyMap<string, ReadonlyArray<string>> = new Map(
  TOP.slice(0, MAX_ITEMS)
    .map((id) => [`hn/${id}`, commentTree(id)] as const)
    .filter(([, ids]) => ids.length > 0)
)

/** The segments the server's Whisper answer holds. */
export const whisperSegments = (
  JSON.parse(Fs.readFileSync(Path.join(fixturesDir, "whisper", "openai-whisper_commit1caba7d_jfk.json"), "utf8")) as {
    readonly segments: ReadonlyArray<{ readonly start: number; readonly end: number; readonly text: string }>
  }
).segments

/** The configuration of the README's example, on the fixture server; bronze shared by both daemons. */
export const config = (options: {
  readonly serverUrl: string
  readonly bronzeRoot: string
  readonly sensorInterval?: string
}) => ({
  bronze: { root: options.bronzeRoot },
  sources: [
    { type: "hn", baseUrl: options.serverUrl, maxItems: MAX_ITEMS, every: "1 minute" },
    { type: "feed", name: "podcast", url: `${options.serverUrl}/podcast.xml`, every: "1 minute" }
  ],
  http: { allowNetworks: ["127.0.0.1/32"] },
  transcription: { enabled: true, endpoint: options.serverUrl },
  sensors: { interval: options.sensorInterval ?? "1 second", batchSize: 10 },
  metrics: { fetchPort: 0, transformPort: 0 }
})

const key = (row: { readonly sourceType: string; readonly externalId: string }) => {
  const n = named(row)
  return `${n.sourceType}/${n.externalId}`
}

/**
 * What is still missing or wrong in silver, as sentences (empty when the scenario is complete):
 * exactly the expected items, each transformed and fetched, both episodes transcribed with the
 * Whisper segments once, every story's comments once, no duplicated row anywhere.
 */
export const silverProblems = (sql: PgClient.PgClient) =>
  Effect.gen(function* () {
    const problems: Array<string> = []
    const all = yield* Silver.items(sql)
    const keys = all.map(key)
    const want = [...expectedItems, ...DISCOVERED_ONLY].sort()
    if (JSON.stringify(keys) !== JSON.stringify(want))
      problems.push(`items are ${JSON.stringify(keys)}, expected ${JSON.stringify(want)}`)
    for (const row of all.filter((row) => DISCOVERED_ONLY.includes(key(row)))) {
      if (
        row.fetchStatus !== "skipped" ||
        row.transformStatus !== "pending" ||
        !(row.fetchError ?? "").includes(`beyond the source's limit of ${MAX_ITEMS} item(s) (maxItems)`)
      )
        problems.push(
          `${key(row)}: listed beyond maxItems, yet fetch_status ${row.fetchStatus} (${row.fetchError}), transform_status ${row.transformStatus}`
        )
    }
    const rows = all.filter((row) => expectedItems.includes(key(row)))
    for (const row of rows) {
      if (row.transformStatus !== "transformed")
        problems.push(`${key(row)}: transform_status ${row.transformStatus} (${row.transformError})`)
      if (row.fetchStatus !== "fetched")
        problems.push(`${key(row)}: fetch_status ${row.fetchStatus} (${row.fetchError})`)
      const transcription = row.sourceType === "feed" ? "transcribed" : "not_applicable"
      if (row.transcriptionStatus !== transcription)
        problems.push(`${key(row)}: transcription_status ${row.transcriptionStatus} (${row.transcriptionError})`)
    }
    if (problems.length > 0) return problems

    for (const id of PODCAST_ENTRIES) {
      const row = rows.find((r) => key(r) === `feed/${id}`)!
      const segments = yield* Silver.segments(sql, "feed", row.externalId)
      const got = segments.map((s) => [s.startSeconds, s.endSeconds, s.text])
      const want = whisperSegments.map((s) => [s.start, s.end, s.text.trim()])
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`feed/${id}: segments ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
    const counts = yield* Silver.commentCounts(sql)
    for (const item of expectedItems) {
      const want = expectedComments.get(item) ?? []
      const count = counts.get(item)
      if ((count?.rows ?? 0) !== want.length || (count?.ids ?? 0) !== want.length)
        problems.push(`${item}: ${JSON.stringify(count ?? null)} comment rows, expected ${want.length}`)
    }
    for (const [item, want] of expectedComments) {
      const [sourceType, externalId] = item.split("/") as [string, string]
      const got = yield* Silver.commentIds(sql, sourceType, externalId)
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`${item}: comments ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
    const duplicates = yield* Silver.duplicateItems(sql)
    if (duplicates.length > 0) problems.push(`duplicated items: ${JSON.stringify(duplicates)}`)
    const children = (yield* Silver.duplicateChildRows(sql)).filter((row) => row.count > 0)
    if (children.length > 0) problems.push(`duplicated rows: ${JSON.stringify(children)}`)
    return problems
  })

/** Every entry of the bronze catalog, by scanning the store page by page. */
const scanAll = Effect.gen(function* () {
  const reader = yield* BronzeReader
  const all: Array<ScannedArtifact> = []
  let after: ScannedArtifact | undefined
  for (;;) {
    const page = yield* reader.scan({
      after: after === undefined ? undefined : { mtimeMs: after.mtimeMs, location: after.location },
      limit: 200
    })
    all.push(...page.entries)
    after = page.entries.at(-1) ?? after
    if (page.complete || page.entries.length === 0) return all
  }
})

/** Files under `root`, relative, `/`-separated. */
const walk = (root: string): ReadonlyArray<string> =>
  (Fs.readdirSync(root, { recursive: true, withFileTypes: true }) as Array<Fs.Dirent>)
    .filter((entry) => entry.isFile())
    .map((entry) => Path.relative(root, Path.join(entry.parentPath, entry.name)).split(Path.sep).join("/"))

/** How many visible (not temp) files bronze holds now, the catalog folders included. */
export const visibleBronzeFiles = (bronzeRoot: string) =>
  Fs.existsSync(bronzeRoot)
    ? walk(bronzeRoot).filter((file) => !file.split("/").some((part) => part.startsWith("."))).length
    : 0

/**
 * What is wrong with bronze, as sentences: an artifact whose bytes do not hash to its sha256 or do
 * not have its size, an item of silver with no artifact, a visible file that is no artifact (a
 * partial write left where readers would see it). Hidden temp files of an interrupted write are
 * counted apart: readers never list them.
 */
export const bronzeProblems = (bronzeRoot: string) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const problems: Array<string> = []
    const artifacts = yield* scanAll
    for (const artifact of artifacts) {
      const bytes = yield* reader.get(artifact.key)
      const sha256 = Crypto.createHash("sha256").update(bytes).digest("hex")
      if (sha256 !== artifact.sha256 || bytes.length !== artifact.size)
        problems.push(
          `${artifact.location}: ${bytes.length} bytes with sha256 ${sha256}, catalog says ${artifact.size} ${artifact.sha256}`
        )
    }
    for (const item of expectedItems) {
      const stored = artifacts.find((a) => key(a.key) === item)?.key ?? { sourceType: "", externalId: "" }
      const listed = stored.sourceType === "" ? [] : yield* reader.listItem(stored)
      if (listed.length === 0) problems.push(`${item}: no artifact in bronze`)
      for (const info of listed) {
        const stored = artifacts.find((a) => a.location === info.location)
        if (stored === undefined || stored.sha256 !== info.sha256)
          problems.push(`${info.location}: listed for ${item} but not the same in the scan`)
      }
    }
    const cataloged = new Set(artifacts.map((a) => a.location))
    const files = walk(bronzeRoot)
    const hidden = files.filter((file) => file.split("/").some((part) => part.startsWith(".")))
    const visible = files.filter((file) => !hidden.includes(file) && !file.startsWith("_"))
    for (const file of visible) if (!cataloged.has(file)) problems.push(`${file}: a visible file that is no artifact`)
    return { problems, artifacts: artifacts.length, hiddenTempFiles: hidden }
  }).pipe(Effect.provide(FileSystemBronze.layerReaderWith({ root: bronzeRoot, catalog: "scan" })))

const tail = (text: string, chars = 3000) => (text.length > chars ? `...${text.slice(-chars)}` : text)

/**
 * Polls silver until the scenario is complete and returns what is still wrong: nothing when it
 * completed; else the last problems with the daemons' recent output, once a daemon exited on its
 * own or `budget` ran out (kept below the test's timeout, only so that a failure says why).
 * A failing query (the database is restarting) counts as a problem, and polling goes on.
 */
export const settle = (
  sql: PgClient.PgClient,
  daemons: ReadonlyArray<Medallion.MedallionProcess>,
  budget: Duration.Input = "150 seconds",
  problems: (sql: PgClient.PgClient) => Effect.Effect<ReadonlyArray<string>, unknown> = silverProblems
) =>
  Effect.gen(function* () {
    let last: ReadonlyArray<string> = ["not checked yet"]
    const done = yield* Effect.gen(function* () {
      last = yield* problems(sql).pipe(Effect.catch((error) => Effect.succeed([`query failed: ${String(error)}`])))
      return last.length === 0 || daemons.some((daemon) => daemon.exit() !== undefined)
    }).pipe(
      Effect.repeat({ until: (stop: boolean) => stop, schedule: Schedule.spaced("200 millis") }),
      Effect.timeoutOption(budget)
    )
    if (last.length === 0 && Option.isSome(done)) return []
    return [
      ...last,
      ...daemons.map(
        (daemon) =>
          `process ${daemon.pid} ${daemon.exit() === undefined ? "running" : `exited ${JSON.stringify(daemon.exit())}`}:\n${tail(daemon.output())}`
      )
    ]
  })
