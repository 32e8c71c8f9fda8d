/**
 * HTML bytes -> the page's text and metadata: title, author, language, published time, excerpt, site
 * name. Mozilla's Readability (the Firefox Reader View engine) on linkedom, a light DOM that parses real
 * pages 5-10x faster than jsdom, and `MainContent` for the pages Readability is not made for.
 *
 * Which text: Readability's article, unless it keeps less than `MIN_KEPT` of the page's main content
 * while that content is mostly text rather than links (a manual, an API reference, a man page's option
 * list): then the main content, headings, lists, definition lists, tables and code included. `extractor`
 * says which; `kept` is the share of the main content's letters the chosen text holds.
 */
import { Readability } from "@mozilla/readability"
import { Effect } from "effect"
import { parseHTML } from "linkedom"
import * as Charset from "./Charset.ts"
import { ExtractError } from "./ExtractError.ts"
import * as HtmlText from "./HtmlText.ts"
import * as Language from "./Language.ts"
import * as MainContent from "./MainContent.ts"
import * as PageMetadata from "./PageMetadata.ts"

export type Extractor = "readability" | "main-content" | "page-text"

export interface Article {
  readonly title: string | undefined
  readonly byline: string | undefined
  /** BCP 47 tag from `<html lang>` or the page's metadata, else detected on the text (`langDetected`). */
  readonly lang: string | undefined
  readonly langDetected: boolean
  /** As the page states it (ISO 8601 in practice); parsing it is the caller's choice. */
  readonly publishedTime: string | undefined
  readonly excerpt: string | undefined
  readonly siteName: string | undefined
  /** Paragraphs separated by blank lines (`HtmlText`). */
  readonly text: string
  readonly charset: string
  /** `false` when Readability found no article. */
  readonly readable: boolean
  /** What produced `text`: Readability's article, the page's main content, or the whole page's text. */
  readonly extractor: Extractor
  /** Letters of the main content the text keeps, 0 to 1 (the extraction's fidelity). */
  readonly kept: number
}

export interface ExtractOptions {
  /** The Content-Type header the page came with (for its charset). */
  readonly contentType?: string | undefined
  /** Pages above this size are refused rather than parsed (default 10 MiB). */
  readonly maxBytes?: number | undefined
}

/** Below this share of a reference page's main content, Readability's article is not the page's content. */
export const MIN_KEPT = 0.95
/** A main content with more of its letters inside links than this is navigation, not text to keep. */
const MAX_LINK_SHARE = 0.35
/**
 * A main content with at least this share of its letters in definition lists, code and tables is a
 * reference page (manuals, API references, man pages: 0.36 to 0.91 on the ones measured), where articles
 * have next to none (0 to 0.06; 0.23 for a book chapter with code).
 */
const MIN_STRUCTURED_SHARE = 0.3
/** A main content shorter than this (letters) is not worth overruling Readability for. */
const MIN_MAIN_LETTERS = 400

const clean = (s: string | null | undefined): string | undefined => {
  if (s === null || s === undefined) return undefined
  const t = s.replace(/\s+/g, " ").trim()
  return t.length === 0 ? undefined : t
}

type Window = ReturnType<typeof parseHTML>

const meta = (document: Window["document"], ...names: ReadonlyArray<string>): string | undefined => {
  for (const name of names) {
    const e = document.querySelector(`meta[property="${name}"], meta[name="${name}"]`)
    const v = clean(e?.getAttribute("content"))
    if (v !== undefined) return v
  }
  return undefined
}

interface Measured {
  readonly text: string
  readonly letters: number
  readonly linkShare: number
  readonly structuredShare: number
}

/** The main content of a fresh parse (the extraction removes nodes). */
const mainContentOf = (html: string): Measured => {
  const { document } = parseHTML(html)
  const doc = document as unknown as MainContent.Document
  const text = MainContent.extract(doc)
  return {
    text,
    letters: MainContent.size(text),
    linkShare: MainContent.linkShareOf(doc),
    structuredShare: MainContent.structuredShareOf(doc)
  }
}

interface HeadingElement {
  readonly textContent: string | null
  closest(selector: string): HeadingElement | null
  querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>
}

/** A link to the site's home page (`/`, `./`, `index.html`, an origin with no path). */
const HOME = /^(?:(?:https?:)?\/\/[^/?#]+)?\/?(?:\.\/|(?:\.\.\/)*index\.html?)?$/i

/**
 * A heading that names the site, not the page: its text links to the home page (a logo), or it stands in
 * the page's banner (`<header>` or `role=banner` outside the article and main content).
 */
const namesSite = (h: HeadingElement): boolean => {
  const links = Array.from(h.querySelectorAll("a[href]"))
  const link = (h.closest("a[href]") as unknown as { getAttribute(name: string): string | null } | null) ?? links[0]
  const href = link?.getAttribute("href")?.trim()
  if (href !== undefined && href.length > 0 && HOME.test(href)) return true
  const banner = h.closest("header, [role=banner]")
  return (
    banner !== null &&
    banner.closest("article, main, [role=main]") === null &&
    h.closest("article, main, [role=main]") === null
  )
}

/** Extracts the article from an already decoded HTML string. */
export const extractFromString = (html: string, charset = "utf-8"): Effect.Effect<Article, ExtractError> =>
  Effect.suspend((): Effect.Effect<Article, ExtractError> => {
    let window: Window
    try {
      window = parseHTML(html)
    } catch (cause) {
      return Effect.fail(
        new ExtractError({ kind: "no-content", reason: `the HTML could not be parsed: ${String(cause)}` })
      )
    }
    const document = window.document
    const htmlLang = clean(
      document.documentElement?.getAttribute("lang") ?? document.documentElement?.getAttribute("xml:lang")
    )
    const pageTitle = clean(document.title)
    const h1Elements = Array.from(document.querySelectorAll("h1") as ArrayLike<HeadingElement>)
    const h1s = h1Elements.flatMap((h) => clean(h.textContent) ?? [])
    const siteHeadings = h1Elements.filter(namesSite).flatMap((h) => clean(h.textContent) ?? [])
    const ogTitle = meta(document, "og:title", "twitter:title")
    const ogSite = meta(document, "og:site_name", "application-name")
    const description = meta(document, "description", "og:description", "twitter:description")
    let parsed: ReturnType<Readability<string>["parse"]> = null
    try {
      parsed = new Readability<string>(document as unknown as ConstructorParameters<typeof Readability>[0]).parse()
    } catch {
      // Readability throws on some broken DOMs: the main content below is the text then.
      parsed = null
    }
    const articleText = parsed?.content ? HtmlText.toText(parsed.content) : ""
    const main = mainContentOf(html)
    const articleLetters = MainContent.size(articleText)
    const reference =
      main.letters >= MIN_MAIN_LETTERS &&
      main.linkShare <= MAX_LINK_SHARE &&
      main.structuredShare >= MIN_STRUCTURED_SHARE
    const useMain = articleLetters === 0 || (reference && articleLetters < MIN_KEPT * main.letters)
    const text = useMain ? main.text : articleText
    if (text.length === 0) {
      return Effect.fail(new ExtractError({ kind: "no-content", reason: "the page has no readable text" }))
    }
    const extractor: Extractor = !useMain ? "readability" : parsed === null ? "page-text" : "main-content"
    const siteName = clean(parsed?.siteName) ?? ogSite
    const title = PageMetadata.title({
      ogTitle,
      documentTitle: pageTitle,
      readabilityTitle: clean(parsed?.title),
      h1s,
      siteHeadings,
      siteName
    })
    const declared = Language.normalize(clean(parsed?.lang) ?? htmlLang)
    const detected = declared === undefined ? Language.detect(text) : undefined
    return Effect.succeed({
      title: title.title,
      byline: PageMetadata.author(clean(parsed?.byline) ?? meta(document, "author", "article:author")),
      lang: declared ?? detected,
      langDetected: declared === undefined && detected !== undefined,
      publishedTime: clean(parsed?.publishedTime) ?? meta(document, "article:published_time", "date", "dc.date"),
      excerpt: description ?? clean(parsed?.excerpt),
      siteName: siteName ?? title.trimmedSite,
      text,
      charset,
      readable: parsed !== null && articleLetters > 0,
      extractor,
      kept: main.letters === 0 ? 1 : Math.min(1, MainContent.size(text) / main.letters)
    })
  })

/** Extracts the article from HTML bytes as received (any charset). */
export const extract = (bytes: Uint8Array, options: ExtractOptions = {}): Effect.Effect<Article, ExtractError> =>
  Effect.gen(function* () {
    const max = options.maxBytes ?? 10 * 1024 * 1024
    if (bytes.length > max) {
      return yield* new ExtractError({
        kind: "too-large",
        reason: `the page has ${bytes.length} bytes, over the limit of ${max}`
      })
    }
    const decoded = yield* Charset.decodeHtml(bytes, options.contentType)
    return yield* extractFromString(decoded.text, decoded.charset)
  })
