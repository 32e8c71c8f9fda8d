/**
 * A page's title, author and site name as a reader would name them, from what Readability found and
 * what the page declares:
 *
 * - title: `og:title`, else `<title>`, else Readability's title, else the first `<h1>`; a site-name part
 *   (`How to Build a Terrarium | eHow`, `os.path — ... — Python 3.11 documentation`, `..._教育频道_中国青年网`)
 *   is trimmed when the page names its site, when the rest is one of the page's own `<h1>` headings, or
 *   when it follows `_` (Chinese sites); a last part, or a bracketed suffix (`... [Archive of Our Own]`), is
 *   trimmed too when it is what the page's own site heading says (an `<h1>` that links to the home page,
 *   or stands in the page's banner: `Path | Node.js v18.20.4 Documentation`); a title or part that is only an id-like slug (`doc-1234`,
 *   `draft-dejong-remotestorage-04`) gives way to the rest, or to the `<h1>`;
 * - author: the byline without its label (`By`, `Par`, `Von`, `Posted by`, `Written by`...); a byline that
 *   is only a label or a date (`Follow Author`, `Last Updated: January 7, 2025`) is no author;
 * - site name: `og:site_name`, else the part trimmed from the title.
 */

/** Separators between a title and its site name. `-` and `:` count only with spaces around them. */
const SEPARATORS = /\s+[|–—·»/]\s+|\s+[-:]\s+|\s*[|–—»]\s*|_/

const squash = (s: string): string => s.replace(/\s+/g, " ").trim()

const comparable = (s: string): string =>
  squash(s)
    .toLowerCase()
    .replace(/[¶#§]+$/u, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()

/** A title that is only an identifier: no spaces, digits or `-`/`_`/`.` in it, no capital letters. */
const looksLikeSlug = (title: string): boolean =>
  !/\s/.test(title) && /[-_.\d]/.test(title) && !/\p{Lu}/u.test(title) && !/\(\d\)$/.test(title)

const splitParts = (title: string): ReadonlyArray<string> =>
  title
    .split(SEPARATORS)
    .map(squash)
    .filter((p) => p.length > 0)

export interface TitleInput {
  readonly ogTitle: string | undefined
  readonly readabilityTitle: string | undefined
  readonly documentTitle: string | undefined
  /** The page's `<h1>` headings, in order (the first is often the site's logo). */
  readonly h1s: ReadonlyArray<string>
  /**
   * Those of them that name the site rather than the page: a link to the home page, or a heading in the
   * page's banner (a `<header>` outside its article and main content).
   */
  readonly siteHeadings?: ReadonlyArray<string> | undefined
  readonly siteName: string | undefined
}

export interface Title {
  readonly title: string | undefined
  /** The part trimmed as the site's name, when the page names no site itself. */
  readonly trimmedSite: string | undefined
}

/** A part short enough to be a site's name rather than a subtitle. */
const siteLike = (part: string): boolean =>
  part.length <= 60 && part.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length <= 5

/** Trims a site-name part from the start or end of a title. */
const trimSite = (
  title: string,
  siteName: string | undefined,
  headings: ReadonlyArray<string>,
  siteHeadings: ReadonlyArray<string>
): Title => {
  const named = [siteName, ...siteHeadings].flatMap((n) => (n === undefined ? [] : [comparable(n)]))
  /** What the site's name, or a heading naming the site, says (one containing the other: `... beta`). */
  const namesSite = (p: string) => {
    const c = comparable(p)
    return c.length > 0 && named.some((n) => n.length > 0 && (c === n || c.includes(n) || n.includes(c)))
  }
  const bracketed = /^(.*\S)\s*\[([^\]]+)\]$/u.exec(title)
  if (bracketed !== null && namesSite(bracketed[2]!))
    return { title: squash(bracketed[1]!), trimmedSite: squash(bracketed[2]!) }
  const parts = splitParts(title)
  if (parts.length < 2) return { title, trimmedSite: undefined }
  const whole = comparable(title)
  const cut = (from: number, to: number) => {
    const start = from === 0 ? 0 : title.indexOf(parts[from]!)
    const endPart = parts[to - 1]!
    const end = title.lastIndexOf(endPart) + endPart.length
    return squash(title.slice(start, end))
  }
  const site = siteName === undefined ? "" : comparable(siteName)
  const isSite = (p: string) => {
    const c = comparable(p)
    return site.length > 0 && c.length > 0 && (c === site || c.includes(site) || site.includes(c))
  }
  if (isSite(parts.at(-1)!)) return { title: cut(0, parts.length - 1), trimmedSite: undefined }
  if (isSite(parts[0]!)) return { title: cut(1, parts.length), trimmedSite: undefined }
  // A site heading trims only the end, the usual place of a site's name: a blog's banner may hold the
  // post's own title, which then opens the page's title.
  if (namesSite(parts.at(-1)!) && siteLike(parts.at(-1)!))
    return { title: cut(0, parts.length - 1), trimmedSite: cut(parts.length - 1, parts.length) }
  const compared = headings.map(comparable).filter((h) => h.length > 0)
  if (compared.includes(whole)) return { title, trimmedSite: undefined }
  // The heading is the title's first k parts: what follows is the site's name (the usual order, so it
  // is tried first, for every heading: the first <h1> is often the site's logo).
  for (const heading of compared)
    for (let k = parts.length - 1; k >= 1; k--)
      if (comparable(cut(0, k)) === heading && parts.slice(k).every(siteLike))
        return { title: cut(0, k), trimmedSite: cut(k, parts.length) }
  // The heading is its last parts: what precedes is the site's name.
  for (const heading of compared)
    for (let from = 1; from < parts.length; from++)
      if (comparable(cut(from, parts.length)) === heading && parts.slice(0, from).every(siteLike))
        return { title: cut(from, parts.length), trimmedSite: cut(0, from) }
  // An id-like part (`draft-dejong-remotestorage-04 - remoteStorage`) names the file, not the page.
  const meaningful = parts.filter((p) => !looksLikeSlug(p))
  if (meaningful.length > 0 && meaningful.length < parts.length)
    return { title: meaningful.join(" - "), trimmedSite: undefined }
  // `title_channel_site`: Chinese sites end their titles with short channel and site names after `_`.
  if (/_/.test(title) && parts.slice(1).every((p) => p.length * 2 <= parts[0]!.length && siteLike(p)))
    return { title: parts[0]!, trimmedSite: parts.at(-1) }
  return { title, trimmedSite: undefined }
}

export const title = (input: TitleInput): Title => {
  const headings = input.h1s.map((h) => squash(h.replace(/[¶#§]+\s*$/u, ""))).filter((h) => h.length > 0)
  const candidate = [input.ogTitle, input.documentTitle, input.readabilityTitle]
    .map((t) => (t === undefined ? undefined : squash(t)))
    .find((t) => t !== undefined && t.length > 0)
  if (candidate === undefined) return { title: headings[0], trimmedSite: undefined }
  if (looksLikeSlug(candidate) && headings[0] !== undefined) return { title: headings[0], trimmedSite: undefined }
  const trimmed = trimSite(candidate, input.siteName, headings, input.siteHeadings ?? [])
  return trimmed.title === undefined || trimmed.title.length === 0
    ? { title: candidate, trimmedSite: undefined }
    : trimmed
}

/** Labels that open a byline, in the languages of the pages this reads. */
const BYLINE_LABEL =
  /^(?:(?:posted|published|written|authored|edited|reported|words|story|text|photos?)\s+by|by|par|von|por|di|door|av|af|autor(?:in)?|author|auteur|redacción|texto|written|from)\s*[:|-]?\s+/iu

/** A byline that is a label or a date, not a name. */
const NOT_A_NAME =
  /^(?:follow(?:\s+author)?|share|comments?|posted|published|updated|last updated|author|by|staff|admin|anonymous)\b/i

const MONTHS = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?"
/** A byline that starts with a date ("April 28, 2019 at 6:01 am Updated ..."). */
const STARTS_WITH_DATE = new RegExp(`^\\W*(?:${MONTHS}\\s+\\d{1,2}\\b|\\d{1,2}\\s+${MONTHS}|\\d{4}-\\d{2}-\\d{2})`, "i")
/** A date glued to the end of a name ("Lucas Nolan22 Dec 2016651"). */
const TRAILING_DATE = new RegExp(
  `\\s*\\d{0,2}\\s*${MONTHS}\\s+\\d{4}\\d*\\s*$|\\s*\\d{1,2}\\s+${MONTHS}\\s+\\d{4}.*$`,
  "i"
)

/** The author's name in a byline; `undefined` when the byline names nobody. */
export const author = (byline: string | undefined): string | undefined => {
  if (byline === undefined) return undefined
  let name = squash(byline)
  for (let i = 0; i < 2; i++) name = name.replace(BYLINE_LABEL, "")
  // "Rob Ewaschuk Edited by Betsy Beyer": the author is the first name.
  name = name.replace(/\s+(?:edited|reviewed|updated|photos?)\s+by\b.*$/i, "").trim()
  if (name.length === 0 || NOT_A_NAME.test(name) || STARTS_WITH_DATE.test(name)) return undefined
  name = name
    .replace(TRAILING_DATE, "")
    .replace(/(\p{L})\d+$/u, "$1")
    .replace(/\s*\((?:https?:\/\/|www\.)[^)]*\)\s*$/i, "")
    .trim()
  if (!/\p{L}/u.test(name)) return undefined
  return name.length > 200 ? name.slice(0, 200) : name
}
