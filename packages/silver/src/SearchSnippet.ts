/**
 * The passage of a hit shown with the results, matches between `[` and `]`.
 *
 * Built from the item's own text (its case and punctuation kept), not by
 * `ts_headline`: that parses the stored text again with the database's
 * locale, so it cannot see the words of unspaced scripts, nor, under `C`,
 * match a capitalised non-ASCII word. Which words match is the caller's
 * answer (the repository asks PostgreSQL, with the item's stemming; the
 * in-memory double compares words); runs of unspaced scripts match as text.
 */
import { spacedWords } from "./SearchText.ts"

/** How much of the text a snippet is looked for in. */
export const EXCERPT_LENGTH = 20_000
const WIDTH = 240
const BEFORE = 60

interface Span {
  readonly start: number
  readonly end: number
}

/** The distinct folded words of a text's excerpt (outside unspaced scripts), for the caller to match. */
export const words = (text: string): ReadonlyArray<string> => [
  ...new Set(spacedWords(text.slice(0, EXCERPT_LENGTH)).map((span) => span.word))
]

/**
 * A passage of about 240 characters around the first match, every match in it
 * marked; the start of the text when nothing matches in the excerpt.
 */
export const make = (text: string, isMatch: (word: string) => boolean, runs: ReadonlyArray<string>): string => {
  const excerpt = text.slice(0, EXCERPT_LENGTH)
  const matches: Array<Span> = spacedWords(excerpt).filter((span) => isMatch(span.word))
  for (const run of runs) {
    for (let at = excerpt.indexOf(run); at !== -1; at = excerpt.indexOf(run, at + run.length)) {
      matches.push({ start: at, end: at + run.length })
    }
  }
  matches.sort((a, b) => a.start - b.start || b.end - a.end)
  const first = matches[0]?.start ?? 0
  let start = Math.max(0, first - BEFORE)
  // Start at a word boundary when the text has spaces near the cut.
  const space = excerpt.slice(start, first).search(/\s/)
  if (start > 0 && space !== -1) start += space + 1
  let end = Math.min(excerpt.length, start + WIDTH)
  const lastSpace = excerpt.slice(first, end).search(/\s\S*$/)
  if (end < excerpt.length && lastSpace > 0) end = first + lastSpace
  let out = ""
  let at = start
  for (const match of matches) {
    if (match.start < at || match.end > end) continue
    out += `${excerpt.slice(at, match.start)}[${excerpt.slice(match.start, match.end)}]`
    at = match.end
  }
  out += excerpt.slice(at, end)
  out = out.replace(/\s+/g, " ").trim()
  return `${start > 0 ? "…" : ""}${out}${end < text.length ? "…" : ""}`
}
