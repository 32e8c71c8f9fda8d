/**
 * The text that silver's full-text index is built from, and the words of a
 * query, prepared in the application rather than by the database, so that
 * what is found depends on no server setting.
 *
 * PostgreSQL's text search parser and its dictionaries classify and lowercase
 * characters by the database's `LC_CTYPE`. Under `C` (the embedded server's
 * clusters before the builtin `C.UTF-8` provider, and many external servers),
 * `RÉSEAU` stays `rÉseau` and every non-ASCII character counts as a letter, so
 * `«réseau»` is one word (the builtin `C.UTF-8` provider lowercases, but the
 * parser still reads `LC_CTYPE`); under a UTF-8 libc locale the same text
 * gives `réseau`. And no locale separates the words of scripts written without
 * spaces: a Japanese sentence is one "word". Prepared here, the text the
 * parser sees holds lowercase letters, marks, digits and spaces only, which
 * every locale classifies alike:
 *
 * - NFKC (full-width and compatibility forms become their plain letters), then
 *   Unicode lowercase (locale-independent, like the builtin provider);
 * - every character that is not a letter, a mark or a decimal digit
 *   (punctuation, symbols, spaces of all kinds, emoji, other numbers) becomes
 *   a space. The parser then sees words and spaces only, so its tokens are
 *   the words found here: `/etc/network/interfaces` is found by `interfaces`,
 *   and a query `debian.org` is the phrase `debian org`;
 * - a run of letters of a script written without spaces (Han, Hiragana,
 *   Katakana, Hangul, Thai, Lao, Khmer, Myanmar) becomes its overlapping
 *   character bigrams followed by its last character: `ネットワーク` is indexed
 *   as `ネッ ット トワ ワー ーク ク`. Any word of two or more characters is then
 *   found by its bigrams wherever it occurs (also inside a longer compound,
 *   which a dictionary segmenter would keep whole), and a single character by
 *   prefix (`ク:*` matches a bigram starting with it or a run's last character).
 *
 * A tsvector is capped at 1 MB: `document` keeps the prepared text within a
 * budget estimated from PostgreSQL's storage of a tsvector, so a long body is
 * indexed up to that point instead of failing the write.
 */

/** Letters and marks of the scripts written without spaces between words. */
const UNSPACED_CLASS = ["Han", "Hiragana", "Katakana", "Bopomofo", "Hangul", "Thai", "Lao", "Khmer", "Myanmar"]
  .map((script) => `\\p{scx=${script}}`)
  .join("")
const UNSPACED = new RegExp(`[${UNSPACED_CLASS}]`, "u")
const UNSPACED_RUN = new RegExp(`[${UNSPACED_CLASS}]+`, "gu")
/** A word of a spaced script: letters, marks and digits, none of an unspaced script. */
const SPACED_WORD = new RegExp(`(?:(?![${UNSPACED_CLASS}])[\\p{L}\\p{M}\\p{Nd}])+`, "gu")
/** Characters that are not letters, marks or decimal digits. */
const NOT_WORD = /[^\p{L}\p{M}\p{Nd}]/gu

/** Whether a (folded) word is written in a script without spaces. */
export const isUnspaced = (word: string): boolean => UNSPACED.test(word)

/** NFKC, lowercase, and every character that is not part of a word replaced by a space. */
export const fold = (text: string): string => text.normalize("NFKC").toLowerCase().replace(NOT_WORD, " ")

/**
 * The words of a text outside unspaced scripts, where they are in it
 * (`[start, end)`) and folded: what a snippet matches and marks.
 */
export const spacedWords = (
  text: string
): ReadonlyArray<{ readonly start: number; readonly end: number; readonly word: string }> =>
  Array.from(text.matchAll(SPACED_WORD), (match) => ({
    start: match.index,
    end: match.index + match[0].length,
    word: fold(match[0]).trim()
  })).filter((span) => span.word !== "")

/** The tokens a run of an unspaced script is indexed as: overlapping bigrams, then its last character. */
export const runTokens = (run: string): ReadonlyArray<string> => {
  const chars = Array.from(run)
  const tokens: Array<string> = []
  for (let i = 0; i + 1 < chars.length; i++) tokens.push(chars[i]! + chars[i + 1]!)
  tokens.push(chars[chars.length - 1]!)
  return tokens
}

/** Splits folded text into its pieces: unspaced-script runs, and the text between them. */
export const pieces = (folded: string): ReadonlyArray<{ readonly text: string; readonly unspaced: boolean }> => {
  const result: Array<{ text: string; unspaced: boolean }> = []
  let last = 0
  for (const match of folded.matchAll(UNSPACED_RUN)) {
    if (match.index > last) result.push({ text: folded.slice(last, match.index), unspaced: false })
    result.push({ text: match[0], unspaced: true })
    last = match.index + match[0].length
  }
  if (last < folded.length) result.push({ text: folded.slice(last), unspaced: false })
  return result
}

/** The largest tsvector PostgreSQL stores is 1 MB - 1 byte; this leaves room for the estimate's error. */
export const TSVECTOR_BUDGET = 1_000_000

/**
 * An upper bound of the bytes one token adds to a tsvector: its lexeme (4
 * bytes of entry, the string, alignment, a position count) the first time,
 * two bytes of position after that (at most 256 positions are kept).
 */
const tokenCost = (token: string, occurrence: number) =>
  occurrence > 256 ? 0 : occurrence > 1 ? 2 : Buffer.byteLength(token) + 10

interface Budget {
  remaining: number
  readonly seen: Map<string, number>
}

const prepare = (text: string, budget: Budget): string => {
  const out: Array<string> = []
  const add = (token: string) => {
    const occurrence = (budget.seen.get(token) ?? 0) + 1
    const cost = tokenCost(token, occurrence)
    if (cost > budget.remaining) return false
    budget.remaining -= cost
    budget.seen.set(token, occurrence)
    out.push(token)
    return true
  }
  for (const piece of pieces(fold(text))) {
    const tokens = piece.unspaced ? runTokens(piece.text) : piece.text.split(/\s+/).filter((t) => t.length > 0)
    for (const token of tokens) if (!add(token)) return out.join(" ")
  }
  return out.join(" ")
}

/** How much of `secondary_text` is indexed (as before it was prepared here, migration 0005). */
export const SECONDARY_LENGTH = 100_000

export interface Prepared {
  readonly title: string
  readonly body: string
  readonly secondary: string
}

/**
 * The prepared texts of an item, within one tsvector budget: the title first, then the first
 * 100,000 characters of its secondary text (short: show notes, an entry's description), then the
 * body, which a long transcript may cut at the budget.
 */
export const document = (
  texts: {
    readonly title?: string | null | undefined
    readonly body?: string | null | undefined
    readonly secondary?: string | null | undefined
  },
  budget = TSVECTOR_BUDGET
): Prepared => {
  const shared: Budget = { remaining: budget, seen: new Map() }
  const title = prepare(texts.title ?? "", shared)
  const secondary = prepare((texts.secondary ?? "").slice(0, SECONDARY_LENGTH), shared)
  return { title, body: prepare(texts.body ?? "", shared), secondary }
}
