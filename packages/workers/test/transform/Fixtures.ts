/**
 * The transform's real test data (see `test/fixtures/transform/SOURCES.md`; files it shares with the fixture
 * server are read from `test/fixtures/server/`) and a way to lay it out in bronze the way
 * the fetch side names artifacts. Each `put` moves the test clock one second on, so artifacts get
 * increasing write times in the order a test writes them.
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { BronzeWriter } from "@medallion/bronze"
import * as ExtractionCorpus from "../../src/transform/ExtractionCorpus.ts"

const root = new URL("../fixtures/transform/", import.meta.url)
const serverRoot = new URL("../fixtures/server/", import.meta.url)

/** Files the fixture server serves as well are kept once, in its folder (`test/fixtures/server/`, same path). */
const SERVED = new Set([
  "feeds/narro.rss",
  "hn/8863_story_apidocs.json",
  "html/ietf-1.expected-metadata.json",
  "html/ietf-1.html",
  "html/liberation-1.expected-metadata.json",
  "html/liberation-1.html",
  "whisper/jfk.mp3",
  "whisper/openai-whisper_commit1caba7d_jfk.json"
])

const at = (path: string): URL => new URL(path, SERVED.has(path) ? serverRoot : root)

export const bytes = (path: string): Uint8Array => new Uint8Array(fs.readFileSync(at(path)))
export const text = (path: string): string => fs.readFileSync(at(path), "utf8")
export const json = <A = any>(path: string): A => JSON.parse(text(path)) as A
export const list = (dir: string): ReadonlyArray<string> => fs.readdirSync(new URL(dir, root)).sort()

export const encode = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The thread's comments as the fetch side stores them: one JSON array of the raw API bodies, as received. */
export const threadComments = (): Uint8Array =>
  encode(
    "[" +
      list("hn/thread_47336100/")
        .filter((f) => f.includes("_comment"))
        .map((f) => text(`hn/thread_47336100/${f}`).trim())
        .join(",") +
      "]"
  )

export const HTML_PAGES = ["aclu", "aktualne", "ebb-org", "gmw", "herald-sun-1", "ietf-1", "liberation-1"] as const

export interface ExpectedMetadata {
  readonly title: string
  readonly byline?: string | null
  readonly lang?: string | null
  readonly publishedTime?: string | null
  /** Fields the corpus lists as known misses of the extraction (not checked here). */
  readonly misses?: ReadonlyArray<string>
}

/**
 * What a reader finds on the page: its entry in the extraction corpus (`test/fixtures/corpus/pages.json`),
 * not Readability's own expectations, which keep labels such as "By" and the site's name in the title.
 */
export const expectedMetadata = (page: string): ExpectedMetadata => {
  const entry = ExtractionCorpus.loadPages().find((p) => p.file.endsWith(`/html/${page}.html`))
  if (entry === undefined) throw new Error(`${page} is not in the extraction corpus`)
  return {
    title: entry.title ?? "",
    byline: entry.author ?? null,
    lang: entry.language ?? null,
    misses: entry.knownMisses ?? []
  }
}

/** Whitespace collapsed: the expected files keep the page's line breaks inside bylines. */
export const squash = (s: string | null | undefined): string | undefined =>
  s === null || s === undefined ? undefined : s.replace(/\s+/g, " ").trim()

/** Writes one artifact at the next second of the test clock. */
export const put = (
  sourceType: string,
  externalId: string,
  artifactType: string,
  ext: string,
  data: Uint8Array | string
) =>
  Effect.gen(function* () {
    yield* TestClock.adjust("1 second")
    const writer = yield* BronzeWriter
    return yield* writer.put(
      { sourceType, externalId, artifactType, ext },
      typeof data === "string" ? encode(data) : data
    )
  })
