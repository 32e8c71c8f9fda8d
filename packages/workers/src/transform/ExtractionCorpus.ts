/**
 * The extraction corpus: real pages and feeds (`test/fixtures/corpus/`, with `SOURCES.md`) and what a
 * reader finds in them (`pages.json`: title, author, published time, language, phrases the text must and
 * must not hold, and for reference pages the element that holds their main text). It measures what the
 * transform keeps, so a regression shows as a number: the corpus test (`test/extract/Corpus.test.ts`)
 * holds the figures to their goals, `pnpm bench extraction` prints them.
 *
 * Pages go through `HtmlArticle.extract`. Feeds go through the fetch side's entry record and the feed
 * transform, as they reach silver; what each entry carries is counted on the XML itself (an independent
 * reading with `htmlparser2`), so a field the parser drops shows as lost.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { DateTime, Effect } from "effect"
import { DomUtils, parseDocument } from "htmlparser2"
import { parseHTML } from "linkedom"
import * as Charset from "../extract/Charset.ts"
import * as FeedDocument from "../extract/FeedDocument.ts"
import * as HtmlArticle from "../extract/HtmlArticle.ts"
import * as HtmlText from "../extract/HtmlText.ts"
import * as Instant from "../extract/Instant.ts"
import * as MainContent from "../extract/MainContent.ts"
import * as FeedEntryId from "../fetch/FeedEntryId.ts"
import * as FeedSource from "../fetch/FeedSource.ts"
import { transformItem } from "./Transform.ts"

/** `test/fixtures/`: the corpus lists its files relative to it, so files other tests use are kept once. */
export const fixturesRoot = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures")

export type Field = "title" | "author" | "published" | "language"

export interface PageExpectation {
  readonly file: string
  readonly kind: "article" | "reference"
  /** `tune`: looked at while the rules were made; `held-out`: not; `edge-case`: synthetic test pages. */
  readonly set: "tune" | "held-out" | "edge-case"
  /** The elements holding a reference page's main text (chosen by hand, the measure of what is kept). */
  readonly mainSelector?: string
  readonly title?: string | null
  readonly author?: string | null
  readonly published?: string | null
  readonly language?: string | null
  readonly mustContain: ReadonlyArray<string>
  readonly mustNotContain: ReadonlyArray<string>
  /** Fields known to come out wrong today: the test requires them to stay wrong until the entry is updated. */
  readonly knownMisses?: ReadonlyArray<Field>
}

export interface PageResult {
  readonly expectation: PageExpectation
  readonly extractor: string
  /** Per field that has an expectation: whether the extraction got it. */
  readonly fields: Partial<Record<Field, { readonly ok: boolean; readonly got: string | undefined }>>
  readonly missing: ReadonlyArray<string>
  readonly unwanted: ReadonlyArray<string>
  /** Letters of the text over letters of the page's visible text. */
  readonly visibleShare: number
  /** Reference pages: the share of the main text's words (as many times as they occur) the text holds. */
  readonly mainShare: number | undefined
}

const squash = (s: string | null | undefined): string | undefined => {
  if (s === null || s === undefined) return undefined
  const t = s.replace(/\s+/g, " ").trim()
  return t.length === 0 ? undefined : t
}

const primary = (tag: string | null | undefined) => squash(tag)?.toLowerCase().split(/[-_]/)[0]

const segmenter = new Intl.Segmenter(undefined, { granularity: "word" })

/** Words of a text as a multiset (lowercased; CJK split by the segmenter). */
const wordCounts = (text: string): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const s of segmenter.segment(text.toLowerCase())) {
    if (!s.isWordLike) continue
    counts.set(s.segment, (counts.get(s.segment) ?? 0) + 1)
  }
  return counts
}

/** Share of `reference`'s words that `text` holds, counting each as often as it occurs. */
export const coverage = (reference: string, text: string): number => {
  const want = wordCounts(reference)
  const have = wordCounts(text)
  let total = 0
  let kept = 0
  for (const [word, n] of want) {
    total += n
    kept += Math.min(n, have.get(word) ?? 0)
  }
  return total === 0 ? 1 : kept / total
}

export const loadPages = (): ReadonlyArray<PageExpectation> =>
  (
    JSON.parse(Fs.readFileSync(Path.join(fixturesRoot, "corpus", "pages.json"), "utf8")) as {
      pages: ReadonlyArray<PageExpectation>
    }
  ).pages

const bytesOf = (file: string) => new Uint8Array(Fs.readFileSync(Path.join(fixturesRoot, file)))

/** The text of the page's main elements as chosen by hand (what a reader reads there). */
const mainText = (html: string, selector: string): string => {
  const { document } = parseHTML(html)
  MainContent.removeInvisible(document as unknown as MainContent.Document)
  const elements = Array.from(document.querySelectorAll(selector) as ArrayLike<{ innerHTML: string }>)
  return elements.map((e) => HtmlText.toText(e.innerHTML)).join("\n\n")
}

export const evaluatePage = (expectation: PageExpectation): Effect.Effect<PageResult, Error> =>
  Effect.gen(function* () {
    const bytes = bytesOf(expectation.file)
    const article = yield* HtmlArticle.extract(bytes).pipe(
      Effect.mapError((e) => new Error(`${expectation.file}: ${e.reason}`))
    )
    const html = (yield* Effect.orDie(Charset.decodeHtml(bytes))).text
    const text = squash(article.text) ?? ""
    const fields: Partial<Record<Field, { ok: boolean; got: string | undefined }>> = {}
    if (expectation.title !== undefined)
      fields.title = { ok: squash(article.title) === squash(expectation.title), got: article.title }
    if (expectation.author !== undefined)
      fields.author = { ok: squash(article.byline) === squash(expectation.author), got: article.byline }
    if (expectation.published !== undefined && expectation.published !== null) {
      const want = Instant.parse(expectation.published)
      const got = Instant.parse(article.publishedTime)
      fields.published = {
        ok: want !== undefined && got !== undefined && DateTime.toEpochMillis(want) === DateTime.toEpochMillis(got),
        got: article.publishedTime
      }
    }
    if (expectation.language !== undefined && expectation.language !== null)
      fields.language = { ok: primary(article.lang) === primary(expectation.language), got: article.lang }
    const visible = MainContent.size(
      MainContent.visibleText(parseHTML(html).document as unknown as MainContent.Document)
    )
    return {
      expectation,
      extractor: article.extractor,
      fields,
      missing: expectation.mustContain.filter((p) => !text.includes(squash(p)!)),
      unwanted: expectation.mustNotContain.filter((p) => text.includes(squash(p)!)),
      visibleShare: visible === 0 ? 1 : Math.min(1, MainContent.size(article.text) / visible),
      mainShare:
        expectation.mainSelector === undefined
          ? undefined
          : coverage(mainText(html, expectation.mainSelector), article.text)
    }
  })

// ---------------------------------------------------------------------------------------------- feeds

/** The corpus's feeds: every feed of the shared feed corpus, wherever the project keeps its copy. */
export const feedFiles = (): ReadonlyArray<string> =>
  ["corpus/feeds", "extract-feeds", "server/feeds", "transform/feeds"].flatMap((dir) =>
    Fs.readdirSync(Path.join(fixturesRoot, dir))
      .filter((f) => /\.(rss|atom|xml)$/.test(f))
      .map((f) => `${dir}/${f}`)
  )

/** What one `<item>` / `<entry>` of the XML carries, read from the XML itself. */
interface RawEntry {
  readonly hasText: boolean
  readonly date: string | undefined
  readonly hasAuthor: boolean
  readonly hasCategory: boolean
}

const TEXT_ELEMENTS = ["description", "content:encoded", "summary", "content", "media:description", "itunes:summary"]
const DATE_ELEMENTS = ["pubdate", "published", "updated", "dc:date"]
const AUTHOR_ELEMENTS = ["author", "dc:creator", "itunes:author"]
const CATEGORY_ELEMENTS = ["category", "dc:subject"]

const rawEntries = (xml: string): { entries: ReadonlyArray<RawEntry>; language: boolean } => {
  const dom = parseDocument(xml, { xmlMode: true })
  const items = DomUtils.findAll(
    (e) => e.name.toLowerCase() === "item" || e.name.toLowerCase() === "entry",
    dom.children
  )
  const named = (e: (typeof items)[number], names: ReadonlyArray<string>) =>
    DomUtils.findAll((c) => names.includes(c.name.toLowerCase()), e.children)
  const textOf = (e: (typeof items)[number]) => DomUtils.textContent(e).trim()
  const language =
    DomUtils.findOne(
      (e) => ["language", "dc:language"].includes(e.name.toLowerCase()) && DomUtils.textContent(e).trim().length > 0,
      dom.children
    ) !== null || /xml:lang="[^"]+"/.test(xml)
  return {
    language,
    entries: items.map((item) => ({
      hasText: named(item, TEXT_ELEMENTS).some((e) => HtmlText.toText(textOf(e)).length > 0),
      date: named(item, DATE_ELEMENTS)
        .map(textOf)
        .find((t) => t.length > 0),
      hasAuthor: named(item, AUTHOR_ELEMENTS).some((e) => textOf(e).length > 0),
      hasCategory: named(item, CATEGORY_ELEMENTS).some((e) => textOf(e).length > 0 || e.attribs["term"] !== undefined)
    }))
  }
}

export interface Count {
  /** Entries whose XML carries the field. */
  readonly carried: number
  /** Of those, entries whose silver row has it. */
  readonly kept: number
}

export interface FeedResult {
  readonly file: string
  /** `undefined` when the document is not a feed (it is refused with a reason, as it should be). */
  readonly error: string | undefined
  readonly entries: number
  readonly text: Count
  readonly published: Count
  readonly author: Count
  readonly categories: Count
  readonly language: Count
  /** Dates the feed gives that did not parse, as written (kept on the row as `publishedUnparsed`). */
  readonly unparsedDates: ReadonlyArray<string>
}

const count = (pairs: ReadonlyArray<readonly [boolean, boolean]>): Count => ({
  carried: pairs.filter(([carried]) => carried).length,
  kept: pairs.filter(([carried, kept]) => carried && kept).length
})

/** One feed through the fetch side's entry records and the transform, in memory. */
export const evaluateFeed = (file: string): Effect.Effect<FeedResult> =>
  Effect.gen(function* () {
    const bytes = bytesOf(file)
    const feedUrl = `https://feeds.example/${Path.basename(file)}`
    const empty = { carried: 0, kept: 0 }
    const parsed = yield* Effect.result(FeedDocument.parse(bytes, { baseUrl: feedUrl }))
    if (parsed._tag === "Failure")
      return {
        file,
        error: parsed.failure.reason,
        entries: 0,
        text: empty,
        published: empty,
        author: empty,
        categories: empty,
        language: empty,
        unparsedDates: []
      }
    const feed = parsed.success
    const raw = rawEntries((yield* Effect.orDie(Charset.decodeXml(bytes))).text)
    const writer = yield* BronzeWriter
    const document = yield* Effect.orDie(
      writer.put(
        { sourceType: "feed", externalId: FeedSource.feedId(feedUrl), artifactType: "feed", ext: "xml" },
        bytes
      )
    )
    const rows = yield* Effect.forEach(feed.entries, (entry, i) =>
      Effect.gen(function* () {
        const externalId = `${FeedEntryId.entryId(feedUrl, entry.guid)} #${i}`
        const record = FeedSource.entryRecord(feedUrl, document.location, feed, entry)
        yield* Effect.orDie(
          writer.put(
            { sourceType: "feed", externalId, artifactType: "entry", ext: "json" },
            new TextEncoder().encode(JSON.stringify(record))
          )
        )
        return (yield* transformItem({ sourceType: "feed", externalId })).item
      })
    )
    // The XML's entries and the parser's are the same list in the same order (checked: same length).
    const aligned = raw.entries.length === rows.length
    const pair = (f: (r: RawEntry) => boolean, g: (i: NonNullable<(typeof rows)[number]>) => boolean) =>
      aligned ? rows.map((item, i) => [f(raw.entries[i]!), item !== undefined && g(item)] as const) : []
    return {
      file,
      error: aligned ? undefined : `the XML has ${raw.entries.length} entries, the parser ${rows.length}`,
      entries: rows.length,
      text: count(
        pair(
          (r) => r.hasText,
          (i) => (i.bodyText ?? i.secondaryText ?? "").length > 0
        )
      ),
      published: count(
        pair(
          (r) => r.date !== undefined,
          (i) => i.publishedAt !== null && i.publishedAt !== undefined
        )
      ),
      author: count(
        pair(
          (r) => r.hasAuthor,
          (i) => (i.author ?? "").length > 0
        )
      ),
      categories: count(
        pair(
          (r) => r.hasCategory,
          (i) => (i.categories ?? []).length > 0
        )
      ),
      language: count(
        pair(
          () => raw.language,
          (i) => (i.language ?? "").length > 0
        )
      ),
      unparsedDates: rows.flatMap((i) => (i?.publishedUnparsed == null ? [] : [i.publishedUnparsed]))
    }
  }).pipe(Effect.provide(MemoryBronze.layer))
