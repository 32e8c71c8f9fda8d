/**
 * Feed bytes -> entries. RSS 0.9x/2.0, Atom, RDF (RSS 1.0) and JSON Feed, with
 * podcast enclosures, parsed by `feedsmith` (typed, maintained, tested on the
 * big real-world feed corpora) after the bytes were decoded in the charset the
 * feed declares (or does not: see `Charset`).
 *
 * What this returns is a small, stable view for the fetch side (which entries
 * exist, their article link and enclosures) and for the transform (title,
 * published time). The raw feed document stays in bronze as received.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { parseFeed } from "feedsmith"
import * as Charset from "./Charset.ts"
import { ExtractError } from "./ExtractError.ts"

export interface Enclosure {
  readonly url: string
  readonly type: string | undefined
  readonly length: number | undefined
}

export interface FeedEntry {
  /** The entry's identity: guid / id, else its link, else its enclosure, else a hash of its title and date. */
  readonly guid: string
  readonly guidSource: "guid" | "link" | "enclosure" | "hash"
  readonly title: string | undefined
  readonly link: string | undefined
  readonly published: string | undefined
  readonly summary: string | undefined
  readonly enclosures: ReadonlyArray<Enclosure>
}

export interface Feed {
  readonly format: "rss" | "atom" | "rdf" | "json"
  readonly title: string | undefined
  readonly link: string | undefined
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

const normalizeEntry = (format: Feed["format"], raw: unknown, base: string | undefined): FeedEntry => {
  const entry = asRecord(raw) ?? {}
  let link: string | undefined
  let enclosures: Array<Enclosure> = []
  let published: string | undefined
  let summary: string | undefined
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
    summary = text(entry["summary"]) ?? text(entry["content"])
  } else if (format === "json") {
    link = resolve(text(entry["url"]) ?? text(entry["external_url"]), base)
    enclosures = asArray(entry["attachments"]).flatMap((a) => {
      const e = enclosure(a, base)
      return e === undefined ? [] : [e]
    })
    published = text(entry["date_published"]) ?? text(entry["date_modified"])
    summary = text(entry["summary"]) ?? text(entry["content_text"])
  } else {
    link = resolve(text(entry["link"]), base)
    enclosures = [...asArray(entry["enclosures"]), ...asArray(entry["enclosure"])].flatMap((a) => {
      const e = enclosure(a, base)
      return e === undefined ? [] : [e]
    })
    const dc = asRecord(entry["dc"])
    published = text(entry["pubDate"]) ?? text(dc?.["date"]) ?? text(asArray(dc?.["dates"])[0])
    summary = text(entry["description"])
  }
  const title = text(entry["title"])
  const declared = format === "atom" || format === "json" ? text(entry["id"]) : text(entry["guid"])
  const [guid, guidSource]: readonly [string, FeedEntry["guidSource"]] =
    declared !== undefined
      ? [declared, "guid"]
      : link !== undefined
        ? [link, "link"]
        : enclosures[0] !== undefined
          ? [enclosures[0].url, "enclosure"]
          : [hash([title, published, summary]), "hash"]
  return { guid, guidSource, title, link, published, summary, enclosures }
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
    const entries = rawEntries.map((e) => normalizeEntry(format, e, base))
    const feedLink =
      format === "atom"
        ? resolve(atomLinks(feed).find((l) => l.rel === "alternate")?.href, base)
        : resolve(text(feed["link"]) ?? text(feed["home_page_url"]), base)
    return Effect.succeed({ format, title: text(feed["title"]), link: feedLink, entries, charset })
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
