/**
 * Feed bytes -> entries. RSS 0.9x/2.0, Atom, RDF (RSS 1.0) and JSON Feed, with
 * podcast enclosures, parsed by `feedsmith` (typed, maintained, tested on the
 * big real-world feed corpora) after the bytes were decoded in the charset the
 * feed declares (or does not: see `Charset`).
 *
 * What this returns is a stable view of every field an entry carries: for the
 * fetch side (which entries exist, their article link and enclosures, the
 * record it keeps per entry) and for the transform (title, text, authors,
 * categories, language, published time). Texts are kept as the feed gives
 * them (HTML or plain) and turned into final text by `textOf`. The raw feed
 * document stays in bronze as received.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { parseFeed } from "feedsmith"
import { DomUtils, parseDocument } from "htmlparser2"
import * as Charset from "./Charset.ts"
import { ExtractError } from "./ExtractError.ts"
import * as HtmlText from "./HtmlText.ts"

export interface Enclosure {
  readonly url: string
  readonly type: string | undefined
  readonly length: number | undefined
}

/** A text as the feed gives it: HTML (RSS descriptions by convention, Atom `html`/`xhtml`) or plain text. */
export interface EntryText {
  readonly value: string
  readonly type: "html" | "text"
}

export interface FeedEntry {
  /** The entry's identity in its feed: guid / id, else its link, else its enclosure, else a hash of its title and date. */
  readonly guid: string
  readonly guidSource: "guid" | "link" | "enclosure" | "hash"
  readonly title: string | undefined
  readonly link: string | undefined
  /** As the feed states it: `pubDate`, Atom `published`, `dc:date`, else the last update. */
  readonly published: string | undefined
  /** The entry's full text: `content:encoded`, Atom `content`, JSON Feed `content_html` / `content_text`. */
  readonly content: EntryText | undefined
  /** Its description: RSS `description`, Atom `summary`, `itunes:summary`, JSON Feed `summary`, `media:description`. */
  readonly summary: EntryText | undefined
  /** Names (else addresses) of its authors: `author`, `dc:creator`, `itunes:author`, Atom authors (the feed's when the entry has none). */
  readonly authors: ReadonlyArray<string>
  /** `category` (its text or label), `dc:subject`, JSON Feed `tags`. */
  readonly categories: ReadonlyArray<string>
  /** The entry's own language (`xml:lang`, `dc:language`, JSON Feed `language`), as declared. */
  readonly language: string | undefined
  readonly enclosures: ReadonlyArray<Enclosure>
}

export interface Feed {
  readonly format: "rss" | "atom" | "rdf" | "json"
  readonly title: string | undefined
  readonly link: string | undefined
  /** The feed's language (`language`, `dc:language`, the root's `xml:lang`), as declared. */
  readonly language: string | undefined
  readonly entries: ReadonlyArray<FeedEntry>
  readonly charset: string
}

export interface ParseOptions {
  readonly contentType?: string | undefined
  /** The feed's own URL: relative links are resolved against it. */
  readonly baseUrl?: string | undefined
  /** Feeds above this size are refused (default 50 MiB). */
  readonly maxBytes?: number | undefined
}

type Loose = Record<string, unknown>

const asRecord = (u: unknown): Loose | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Loose) : undefined
const asArray = (u: unknown): ReadonlyArray<unknown> =>
  Array.isArray(u) ? u : u === undefined || u === null ? [] : [u]

/** Text of a field that parsers give as a string, or as `{ value }` / `{ "#text" }`. */
const text = (u: unknown): string | undefined => {
  if (typeof u === "string") {
    const t = u.trim()
    return t.length === 0 ? undefined : t
  }
  if (typeof u === "number") return String(u)
  const r = asRecord(u)
  if (r === undefined) return undefined
  return text(r["value"] ?? r["#text"] ?? r["href"])
}

/** A field that may carry an Atom-style `type` (`text`, `html`, `xhtml`); RSS descriptions are HTML. */
const entryText = (u: unknown, defaultType: EntryText["type"]): EntryText | undefined => {
  const value = text(u)
  if (value === undefined) return undefined
  const declared = text(asRecord(u)?.["type"])?.toLowerCase()
  const type = declared === undefined ? defaultType : declared === "text" || declared === "text/plain" ? "text" : "html"
  return { value, type }
}

const resolve = (href: string | undefined, base: string | undefined): string | undefined => {
  if (href === undefined) return undefined
  try {
    return new URL(href, base).href
  } catch {
    return href
  }
}

const toNumber = (u: unknown): number | undefined => {
  const n = typeof u === "number" ? u : typeof u === "string" ? Number(u) : NaN
  return Number.isFinite(n) ? n : undefined
}

const enclosure = (u: unknown, base: string | undefined): Enclosure | undefined => {
  const r = asRecord(u)
  const url = resolve(text(r?.["url"] ?? r?.["href"]), base)
  if (r === undefined || url === undefined) return undefined
  return {
    url,
    type: text(r["type"] ?? r["mimeType"] ?? r["mime_type"]),
    length: toNumber(r["length"] ?? r["size_in_bytes"])
  }
}

const atomLinks = (entry: Loose) =>
  asArray(entry["links"]).flatMap((l) => {
    const r = asRecord(l)
    const href = text(r?.["href"])
    return r === undefined || href === undefined
      ? []
      : [{ href, rel: text(r["rel"]) ?? "alternate", type: text(r["type"]), length: r["length"] }]
  })

const hash = (parts: ReadonlyArray<string | undefined>): string =>
  "sha256:" +
  createHash("sha256")
    .update(parts.map((p) => p ?? "").join("\u0000"))
    .digest("hex")

/** Distinct non-empty strings, first spelling kept, compared case-insensitively. */
const distinct = (values: ReadonlyArray<string | undefined>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const out: Array<string> = []
  for (const v of values) {
    const t = v === undefined ? undefined : HtmlText.toLine(v)
    if (t === undefined || t.length === 0 || seen.has(t.toLowerCase())) continue
    seen.add(t.toLowerCase())
    out.push(t)
  }
  return out
}

/** A person as feeds give one: `{ name, email }`, an RSS `email (Name)` already split by the parser, or a string. */
const person = (u: unknown): string | undefined => {
  if (typeof u === "string") return text(u)
  const r = asRecord(u)
  return r === undefined ? undefined : (text(r["name"]) ?? text(r["email"]))
}

const firstOf = (u: unknown): string | undefined => text(asArray(u)[0])

/** The language a feed-level or entry-level record declares. */
const declaredLanguage = (r: Loose): string | undefined =>
  text(r["language"]) ?? firstOf(asRecord(r["dc"])?.["languages"]) ?? text(asRecord(r["xml"])?.["lang"])

/** Media RSS's description (YouTube's Atom feeds carry an entry's text only there), plain text by default. */
const mediaDescription = (entry: Loose): EntryText | undefined => {
  const media = asRecord(entry["media"])
  if (media === undefined) return undefined
  const candidates = [media["description"], ...asArray(media["groups"]).map((g) => asRecord(g)?.["description"])]
  for (const c of candidates) {
    const found = entryText(c, "text")
    if (found !== undefined) return found
  }
  return undefined
}

interface FeedContext {
  readonly base: string | undefined
  /** The feed's own authors, for Atom entries without one and podcast episodes (`itunes:author`). */
  readonly authors: ReadonlyArray<string>
}

const normalizeEntry = (
  format: Feed["format"],
  raw: unknown,
  context: FeedContext,
  textEnclosures: ReadonlyArray<Enclosure>
): FeedEntry => {
  const base = context.base
  const entry = asRecord(raw) ?? {}
  const dc = asRecord(entry["dc"])
  const itunes = asRecord(entry["itunes"])
  let link: string | undefined
  let enclosures: Array<Enclosure> = []
  let published: string | undefined
  let content: EntryText | undefined
  let summary: EntryText | undefined
  let authors: Array<string | undefined> = []
  let categories: Array<string | undefined> = []
  if (format === "atom") {
    const links = atomLinks(entry)
    link = resolve((links.find((l) => l.rel === "alternate") ?? links.find((l) => l.rel !== "enclosure"))?.href, base)
    enclosures = links
      .filter((l) => l.rel === "enclosure")
      .flatMap((l) => {
        const e = enclosure({ url: l.href, type: l.type, length: l.length }, base)
        return e === undefined ? [] : [e]
      })
    published = text(entry["published"]) ?? text(entry["updated"])
    content = entryText(entry["content"], "text")
    summary = entryText(entry["summary"], "text")
    authors = asArray(entry["authors"]).map(person)
    if (authors.every((a) => a === undefined)) authors = [...context.authors]
    categories = asArray(entry["categories"]).map((c) => text(asRecord(c)?.["label"]) ?? text(asRecord(c)?.["term"]))
  } else if (format === "json") {
    link = resolve(text(entry["url"]) ?? text(entry["external_url"]), base)
    enclosures = asArray(entry["attachments"]).flatMap((a) => {
      const e = enclosure(a, base)
      return e === undefined ? [] : [e]
    })
    published = text(entry["date_published"]) ?? text(entry["date_modified"])
    content =
      text(entry["content_html"]) !== undefined
        ? { value: text(entry["content_html"])!, type: "html" }
        : entryText(entry["content_text"], "text")
    summary = entryText(entry["summary"], "text")
    authors = [...asArray(entry["authors"]), entry["author"]].map(person)
    if (authors.every((a) => a === undefined)) authors = [...context.authors]
    categories = asArray(entry["tags"]).map(text)
  } else {
    link = resolve(text(entry["link"]), base)
    enclosures = [...asArray(entry["enclosures"]), ...asArray(entry["enclosure"])].flatMap((a) => {
      const e = enclosure(a, base)
      return e === undefined ? [] : [e]
    })
    published = text(entry["pubDate"]) ?? text(dc?.["date"]) ?? firstOf(dc?.["dates"])
    content = entryText(asRecord(entry["content"])?.["encoded"], "html")
    summary = entryText(entry["description"], "html") ?? entryText(itunes?.["summary"], "html")
    authors = [...asArray(entry["authors"]), ...asArray(dc?.["creators"]), dc?.["creator"], itunes?.["author"]].map(
      person
    )
    if (authors.every((a) => a === undefined)) authors = [...context.authors]
    categories = [
      ...asArray(entry["categories"]).map((c) => (typeof c === "string" ? c : text(asRecord(c)?.["name"]))),
      ...asArray(dc?.["subjects"]).map(text)
    ]
  }
  summary ??= mediaDescription(entry)
  for (const e of textEnclosures) if (!enclosures.some((known) => known.url === e.url)) enclosures.push(e)
  const rawTitle = text(entry["title"])
  const title = rawTitle === undefined ? undefined : HtmlText.toLine(rawTitle) || undefined
  const declared = format === "atom" || format === "json" ? text(entry["id"]) : text(entry["guid"])
  const [guid, guidSource]: readonly [string, FeedEntry["guidSource"]] =
    declared !== undefined
      ? [declared, "guid"]
      : link !== undefined
        ? [link, "link"]
        : enclosures[0] !== undefined
          ? [enclosures[0].url, "enclosure"]
          : [hash([rawTitle, published, summary?.value]), "hash"]
  return {
    guid,
    guidSource,
    title,
    link,
    published,
    content,
    summary,
    authors: distinct(authors),
    categories: distinct(categories),
    language: declaredLanguage(entry),
    enclosures
  }
}

/**
 * Enclosures written as `<enclosure>URL</enclosure>` (the URL as text instead of the `url` attribute):
 * the parser drops them, so they are read from the document itself, per `<item>` in document order.
 * `undefined` when the document has none (the common case, decided by a cheap test).
 */
const textEnclosuresByItem = (
  document: string,
  base: string | undefined
): ReadonlyArray<ReadonlyArray<Enclosure>> | undefined => {
  if (!/<enclosure\b[^>]*>\s*[^<\s]/i.test(document)) return undefined
  const dom = parseDocument(document, { xmlMode: true })
  return DomUtils.getElementsByTagName("item", dom.children, true).map((item) =>
    DomUtils.getElementsByTagName("enclosure", item.children, true).flatMap((element) => {
      if (element.attribs["url"] !== undefined) return []
      const url = resolve(text(DomUtils.textContent(element)), base)
      if (url === undefined || !/^https?:/i.test(url)) return []
      return [{ url, type: text(element.attribs["type"]), length: toNumber(element.attribs["length"]) }]
    })
  )
}

/** The text of an entry's `content` or `summary`: HTML converted (links kept), plain text as its paragraphs. */
export const textOf = (value: EntryText | undefined): string | undefined => {
  if (value === undefined) return undefined
  const out =
    value.type === "html"
      ? HtmlText.toText(value.value, { links: true })
      : value.value
          .split(/\n\s*\n/)
          .map((p) => p.replace(/\s+/g, " ").trim())
          .filter((p) => p.length > 0)
          .join("\n\n")
  return out.length === 0 ? undefined : out
}

/** Parses an already decoded feed document. */
export const parseString = (
  document: string,
  options: ParseOptions = {},
  charset = "utf-8"
): Effect.Effect<Feed, ExtractError> =>
  Effect.suspend((): Effect.Effect<Feed, ExtractError> => {
    if (document.trim().length === 0)
      return Effect.fail(new ExtractError({ kind: "empty", reason: "the feed document is empty" }))
    let parsed: { readonly format: string; readonly feed: unknown }
    try {
      // Leading whitespace before `<?xml` is a common real-world defect: not worth losing a feed over.
      parsed = parseFeed(document.replace(/^\s+(?=<\?xml)/, "")) as { readonly format: string; readonly feed: unknown }
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause)
      return Effect.fail(
        new ExtractError({ kind: "not-a-feed", reason: `not a recognizable RSS, Atom, RDF or JSON feed: ${message}` })
      )
    }
    const format = parsed.format as Feed["format"]
    const feed = asRecord(parsed.feed) ?? {}
    const rawEntries = asArray(format === "atom" ? feed["entries"] : feed["items"])
    const base = options.baseUrl
    const authors = distinct(
      format === "rss"
        ? [text(asRecord(feed["itunes"])?.["author"])]
        : format === "atom" || format === "json"
          ? [...asArray(feed["authors"]), feed["author"]].map(person)
          : []
    )
    const context: FeedContext = { base, authors }
    const byItem = format === "rss" || format === "rdf" ? textEnclosuresByItem(document, base) : undefined
    // The document's <item> elements and the parser's entries are the same list in the same order.
    const aligned = byItem !== undefined && byItem.length === rawEntries.length ? byItem : undefined
    const entries = rawEntries.map((e, i) => normalizeEntry(format, e, context, aligned?.[i] ?? []))
    const feedLink =
      format === "atom"
        ? resolve(atomLinks(feed).find((l) => l.rel === "alternate")?.href, base)
        : resolve(text(feed["link"]) ?? text(feed["home_page_url"]), base)
    const rawTitle = text(feed["title"])
    return Effect.succeed({
      format,
      title: rawTitle === undefined ? undefined : HtmlText.toLine(rawTitle) || undefined,
      link: feedLink,
      language: declaredLanguage(feed),
      entries,
      charset
    })
  })

/** Parses feed bytes as received: decodes them (declared or detected charset), then parses. */
export const parse = (bytes: Uint8Array, options: ParseOptions = {}): Effect.Effect<Feed, ExtractError> =>
  Effect.gen(function* () {
    const max = options.maxBytes ?? 50 * 1024 * 1024
    if (bytes.length > max) {
      return yield* new ExtractError({
        kind: "too-large",
        reason: `the feed has ${bytes.length} bytes, over the limit of ${max}`
      })
    }
    const decoded = yield* Charset.decodeXml(bytes, options.contentType)
    return yield* parseString(decoded.text, options, decoded.charset)
  })
