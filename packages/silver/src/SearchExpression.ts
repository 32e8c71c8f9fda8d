/**
 * A search query: words, "quoted phrases", `or` between alternatives and
 * `-` before an excluded word or phrase (the syntax of PostgreSQL's
 * `websearch_to_tsquery`, with the same precedence: `a b or c` is
 * `(a and b) or c`). Parsed here rather than by the database so that its
 * words are prepared exactly like the indexed text (`SearchText`), and so
 * that the in-memory repository evaluates the same expression.
 */
import { fold, pieces, runTokens } from "./SearchText.ts"

export interface Literal {
  readonly negated: boolean
  readonly phrase: boolean
  /** The folded text of the word or phrase. */
  readonly text: string
}

/** Alternatives (`or`), each a conjunction of literals. */
export type Expression = ReadonlyArray<ReadonlyArray<Literal>>

const hasWord = (folded: string) => /[\p{L}\p{N}]/u.test(folded)

export const parse = (input: string): Expression => {
  type Item = Literal | "or"
  const items: Array<Item> = []
  let i = 0
  while (i < input.length) {
    if (/\s/.test(input[i]!)) {
      i++
      continue
    }
    let negated = false
    if (input[i] === "-" && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      negated = true
      i++
    }
    if (input[i] === '"') {
      const end = input.indexOf('"', i + 1)
      const text = input.slice(i + 1, end === -1 ? input.length : end)
      i = end === -1 ? input.length : end + 1
      items.push({ negated, phrase: true, text: fold(text).trim() })
      continue
    }
    let end = i
    while (end < input.length && !/\s/.test(input[end]!) && input[end] !== '"') end++
    const word = input.slice(i, end)
    i = end
    items.push(!negated && word.toLowerCase() === "or" ? "or" : { negated, phrase: false, text: fold(word).trim() })
  }
  // `or` first, last or twice in a row is a word, as in websearch_to_tsquery.
  const cleaned = items.map((item, n) =>
    item === "or" && (n === 0 || n === items.length - 1 || items[n - 1] === "or")
      ? ({ negated: false, phrase: false, text: "or" } as const)
      : item
  )
  const alternatives: Array<Array<Literal>> = [[]]
  for (const item of cleaned) {
    if (item === "or") alternatives.push([])
    else if (hasWord(item.text)) alternatives[alternatives.length - 1]!.push(item)
  }
  return alternatives.filter((conjunction) => conjunction.length > 0)
}

/** A `to_tsquery` operand: the parser of the text search configuration splits and stems it. */
const operand = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`

const wordsOf = (text: string) => text.split(/\s+/).filter(hasWord)

/** A word (not a phrase): its parts must all occur; a run of an unspaced script by all its bigrams. */
const termQuery = (text: string) =>
  pieces(text)
    .filter((piece) => hasWord(piece.text))
    .map((piece) => {
      if (!piece.unspaced) return operand(piece.text.trim())
      const tokens = runTokens(piece.text)
      return tokens.length === 1 ? `${operand(tokens[0]!)}:*` : `(${tokens.slice(0, -1).map(operand).join(" & ")})`
    })
    .join(" & ")

/**
 * A phrase: its parts in order at adjacent positions. A run of an unspaced
 * script is the chain of its bigrams; the next part follows its last
 * character's own token (distance 2), as in the indexed text.
 */
const phraseQuery = (text: string) => {
  let query = ""
  let distance = 1
  for (const word of wordsOf(text)) {
    for (const piece of pieces(word)) {
      if (!hasWord(piece.text)) continue
      let part: string
      let after: number
      if (!piece.unspaced) {
        part = operand(piece.text)
        after = 1
      } else {
        const tokens = runTokens(piece.text)
        part = tokens.length === 1 ? `${operand(tokens[0]!)}:*` : tokens.slice(0, -1).map(operand).join(" <-> ")
        after = tokens.length === 1 ? 1 : 2
      }
      query = query === "" ? `(${part})` : `(${query} <${distance}> (${part}))`
      distance = after
    }
  }
  return query
}

/** One literal in `to_tsquery` syntax. */
export const literalQuery = (literal: Literal): string => {
  const query = literal.phrase ? phraseQuery(literal.text) : termQuery(literal.text)
  return literal.negated ? `!(${query})` : `(${query})`
}

/** The whole expression in `to_tsquery` syntax, for any text search configuration. */
export const toTsquery = (expression: Expression): string =>
  expression.map((conjunction) => `(${conjunction.map(literalQuery).join(" & ")})`).join(" | ")

/**
 * The runs of an unspaced script, three characters or longer, that a word
 * (not a phrase) requires as such: its bigrams may occur apart, so the
 * repository checks the text itself. Shorter runs are exact by their tokens;
 * phrases by their positions.
 */
export const requiredRuns = (literal: Literal): ReadonlyArray<string> =>
  literal.phrase
    ? []
    : pieces(literal.text)
        .filter((piece) => piece.unspaced && Array.from(piece.text).length >= 3)
        .map((piece) => piece.text)

/**
 * What the index can decide: the expression without the excluded words whose
 * bigrams may occur apart (only the text check can tell whether they occur).
 * `undefined` when an alternative is left with nothing, so nothing narrows it.
 */
export const prefilter = (expression: Expression): Expression | undefined => {
  const kept = expression.map((conjunction) =>
    conjunction.filter((literal) => !(literal.negated && requiredRuns(literal).length > 0))
  )
  return kept.some((conjunction) => conjunction.length === 0) ? undefined : kept
}

/** Whether a literal needs the check of `requiredRuns` anywhere in the expression. */
export const needsTextCheck = (expression: Expression): boolean =>
  expression.some((conjunction) => conjunction.some((literal) => requiredRuns(literal).length > 0))

/** The words and runs a snippet highlights: those of the literals that are not excluded. */
export const highlightTerms = (
  expression: Expression
): { readonly words: ReadonlyArray<string>; readonly runs: ReadonlyArray<string> } => {
  const words = new Set<string>()
  const runs = new Set<string>()
  for (const conjunction of expression) {
    for (const literal of conjunction) {
      if (literal.negated) continue
      for (const piece of pieces(literal.text)) {
        if (piece.unspaced) runs.add(piece.text)
        else for (const word of piece.text.split(/[^\p{L}\p{M}\p{N}]+/u)) if (word !== "") words.add(word)
      }
    }
  }
  return { words: [...words], runs: [...runs] }
}
