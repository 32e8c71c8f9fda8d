/**
 * HTML -> final text, the one conversion every extractor uses (a page's article or main content, a feed
 * entry's `content:encoded` / Atom content / description), with `html-to-text` (maintained, built on the
 * forgiving `htmlparser2`, formatting configurable per element) rather than hand-written tag stripping.
 *
 * What the text keeps: paragraphs and blocks separated by blank lines, headings as their own paragraph
 * (not upper-cased), list items one per line (`*` or `1.`), definition lists as the term on one line and
 * its definition on the next, table rows one per line with their cells separated by ` | `, `<pre>` code
 * with its line breaks, entities decoded. Scripts, styles, images and form controls are dropped. Links:
 * `links: true` keeps a link's target after its text (`text [https://...]`, the target alone when it is
 * the text), which is what a feed entry's reader sees; pages drop link targets, as Readability's text does.
 */
import { compile } from "html-to-text"

export interface TextOptions {
  /** Keep link targets after the link text (feed entries); default false. */
  readonly links?: boolean | undefined
}

const block = (leading: number, trailing: number) => ({
  format: "block",
  options: { leadingLineBreaks: leading, trailingLineBreaks: trailing }
})

const skipped = ["script", "style", "noscript", "template", "svg", "img", "picture", "iframe", "button", "select"]

const selectors = (links: boolean) => [
  ...skipped.map((selector) => ({ selector, format: "skip" })),
  ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({
    selector,
    options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 2 }
  })),
  {
    selector: "a",
    options: links
      ? { hideLinkHrefIfSameAsText: true, noAnchorUrl: true }
      : { ignoreHref: true, linkBrackets: false as const }
  },
  { selector: "table", ...block(2, 2) },
  { selector: "tr", ...block(1, 1) },
  { selector: "td", format: "inlineSurround", options: { prefix: "", suffix: " | " } },
  { selector: "th", format: "inlineSurround", options: { prefix: "", suffix: " | " } },
  { selector: "dl", ...block(2, 2) },
  { selector: "dt", ...block(2, 1) },
  { selector: "dd", ...block(1, 1) },
  { selector: "figcaption", ...block(1, 1) },
  { selector: "ul", options: { itemPrefix: " * " } }
]

const converters = {
  links: compile({ wordwrap: false, selectors: selectors(true), limits: { maxInputLength: undefined } }),
  plain: compile({ wordwrap: false, selectors: selectors(false), limits: { maxInputLength: undefined } })
}

/** Tidies the converter's output: no trailing cell separators or spaces, at most one blank line in a row. */
const tidy = (text: string): string =>
  text
    .split("\n")
    .map((line) =>
      line
        .replace(/(\s*\|\s*)+$/, "")
        .replace(/[ \t\u00a0]+$/, "")
        .replace(/^(\s*\|\s*)+/, "")
    )
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()

/** The text of an HTML document or fragment. */
export const toText = (html: string, options: TextOptions = {}): string =>
  tidy((options.links === true ? converters.links : converters.plain)(html))

/** A one-line text (a title, a name): markup and entities resolved, whitespace collapsed. */
export const toLine = (html: string): string =>
  /[<&]/.test(html) ? toText(html).replace(/\s+/g, " ").trim() : html.replace(/\s+/g, " ").trim()
