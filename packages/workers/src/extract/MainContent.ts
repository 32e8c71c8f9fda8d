/**
 * A page's main content, for the pages Readability is not made for: manuals (DocBook, Sphinx, asciidoc
 * man pages), API references, option lists. Readability looks for one article and scores paragraphs of
 * prose, so on a reference page it keeps a fraction of the text and drops definition lists, tables and
 * code. This keeps everything the page shows as its content and drops what it shows around it:
 *
 * 1. what is never visible: scripts, styles, templates, `hidden` / `aria-hidden` elements, inline
 *    `display: none`;
 * 2. the page's chrome: `nav`, `aside`, the ARIA landmarks around content (`navigation`, `banner`,
 *    `contentinfo`, `search`, `complementary`), `header` / `footer` outside the content, elements whose
 *    class or id names navigation (`nav`, `navbar`, `menu`, `sidebar`, `sphinxsidebar`, `breadcrumb`,
 *    `navheader`, `navfooter`, `footer`...), forms, heading anchors (`¶`), and link lists (blocks whose
 *    text is mostly links);
 * 3. the content root: the first of `main`, `[role=main]`, the one `article`, a DocBook division, a
 *    `#content`-like container, that holds at least half of what is left of the body; else the body.
 *
 * The text keeps headings, lists, definition lists, tables and code (`HtmlText`).
 */
import * as HtmlText from "./HtmlText.ts"

/** The DOM surface used here (linkedom's elements). */
export interface Element {
  readonly nodeType: number
  readonly tagName: string
  readonly textContent: string | null
  readonly innerHTML: string
  readonly parentElement: Element | null
  readonly children: ArrayLike<Element>
  getAttribute(name: string): string | null
  querySelectorAll(selector: string): ArrayLike<Element>
  closest(selector: string): Element | null
  remove(): void
}

export interface Document {
  readonly body: Element | null
  querySelectorAll(selector: string): ArrayLike<Element>
}

const INVISIBLE = "script, style, noscript, template, svg, iframe, object, embed, [hidden], [aria-hidden=true]"

const each = (list: ArrayLike<Element>): ReadonlyArray<Element> => Array.from(list)

/** Removes what a reader never sees. */
export const removeInvisible = (document: Document): void => {
  for (const e of each(document.querySelectorAll(INVISIBLE))) e.remove()
  for (const e of each(document.querySelectorAll("[style]"))) {
    if (/(^|;)\s*(display\s*:\s*none|visibility\s*:\s*hidden)/i.test(e.getAttribute("style") ?? "")) e.remove()
  }
}

const CHROME =
  "nav, aside, form, button, select, [role=navigation], [role=banner], [role=contentinfo], [role=search], [role=complementary]"

/** Class or id words that name navigation, not content. */
const CHROME_WORDS = new Set([
  "nav",
  "navbar",
  "navigation",
  "navheader",
  "navfooter",
  "menu",
  "menubar",
  "sidebar",
  "sphinxsidebar",
  "sidenav",
  "breadcrumb",
  "breadcrumbs",
  "footer",
  "site-footer",
  "skip-link",
  "skiplink",
  "cookie-banner",
  "share",
  "social",
  "related-posts",
  "mobile-nav",
  "version_switcher_placeholder",
  "language_switcher_placeholder"
])

const words = (e: Element): ReadonlyArray<string> =>
  `${e.getAttribute("class") ?? ""} ${e.getAttribute("id") ?? ""}`.toLowerCase().split(/\s+/)

const CONTENT_ANCESTOR = "main, article, [role=main]"

const letters = (text: string): number => text.match(/[\p{L}\p{N}]/gu)?.length ?? 0

/** Share of an element's letters that are inside links. */
const linkDensity = (e: Element): number => {
  const total = letters(e.textContent ?? "")
  if (total === 0) return 0
  const linked = each(e.querySelectorAll("a")).reduce((n, a) => n + letters(a.textContent ?? ""), 0)
  return linked / total
}

/** Removes the page's navigation, banners, sidebars, footers and link lists around its content. */
export const removeChrome = (document: Document): void => {
  for (const e of each(document.querySelectorAll(CHROME))) e.remove()
  for (const e of each(document.querySelectorAll("header, footer"))) {
    if (e.parentElement?.closest(CONTENT_ANCESTOR) === null || e.parentElement === null) e.remove()
  }
  for (const e of each(document.querySelectorAll("[class], [id]"))) {
    if (e.tagName === "BODY" || e.tagName === "HTML") continue
    if (words(e).some((w) => CHROME_WORDS.has(w))) e.remove()
  }
  // Heading anchors (Sphinx's `¶`, `#`, `§`) are markers, not text.
  for (const a of each(document.querySelectorAll("a"))) {
    if (/^\s*[¶#§🔗]\s*$/u.test(a.textContent ?? "")) a.remove()
  }
  // Lists and tables of links (tables of contents, "related pages") are navigation too.
  for (const e of each(document.querySelectorAll("ul, ol, table, div.toc, div.toctree-wrapper"))) {
    if (letters(e.textContent ?? "") > 0 && linkDensity(e) >= 0.6) e.remove()
  }
}

const ROOTS = [
  "main",
  "[role=main]",
  "article",
  "div.refentry",
  "div.chapter",
  "div.sect1",
  "div.section",
  "div.book",
  "div.article",
  "div.body",
  "#content",
  "#main-content",
  "#main",
  ".main-content"
]

/** The element holding the content: the first candidate with at least half of the body's text. */
export const contentRoot = (document: Document): Element | null => {
  const body = document.body
  if (body === null) return null
  const total = letters(body.textContent ?? "")
  for (const selector of ROOTS) {
    const found = each(document.querySelectorAll(selector))
    // Several articles are a list of teasers, not one content.
    if (found.length !== 1 && selector === "article") continue
    const first = found[0]
    if (first !== undefined && letters(first.textContent ?? "") * 2 >= total) return first
  }
  return body
}

/** The visible text of a page (what a reader sees, chrome included): the measure of what an extraction kept. */
export const visibleText = (document: Document): string => {
  removeInvisible(document)
  return document.body === null ? "" : HtmlText.toText(document.body.innerHTML)
}

/** The share of the content root's letters inside links, after `extract` cleaned the document. */
export const linkShareOf = (document: Document): number => {
  const root = contentRoot(document)
  return root === null ? 0 : linkDensity(root)
}

const STRUCTURED = "dl, pre, table, code, kbd, samp, var, tt"

/** The share of the content root's letters in reference structures: definition lists, code, tables. */
export const structuredShareOf = (document: Document): number => {
  const root = contentRoot(document)
  if (root === null) return 0
  const total = letters(root.textContent ?? "")
  if (total === 0) return 0
  // Outermost structures only, so that code inside a table is not counted twice.
  const outer = each(root.querySelectorAll(STRUCTURED)).filter((e) => e.parentElement?.closest(STRUCTURED) === null)
  return outer.reduce((n, e) => n + letters(e.textContent ?? ""), 0) / total
}

/** The main content's text. Changes the document (removes the chrome). */
export const extract = (document: Document): string => {
  removeInvisible(document)
  removeChrome(document)
  const root = contentRoot(document)
  return root === null ? "" : HtmlText.toText(root.innerHTML)
}

/** Letters and digits in a text: the unit shares of text are measured in, whatever the script. */
export const size = letters
