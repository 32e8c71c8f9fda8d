import { assert, describe, it } from "@effect/vitest"
import * as SearchExpression from "../src/SearchExpression.ts"

const literal = (text: string, options: { negated?: boolean; phrase?: boolean } = {}) => ({
  negated: options.negated ?? false,
  phrase: options.phrase ?? false,
  text
})

describe("SearchExpression", () => {
  it("parses websearch syntax with its precedence: space is and, `or` splits alternatives", () => {
    assert.deepStrictEqual(SearchExpression.parse('RÉSEAU "Adresse IP" or -Сеть'), [
      [literal("réseau"), literal("adresse ip", { phrase: true })],
      [literal("сеть", { negated: true })]
    ])
    // `or` at either end is a word; punctuation alone is nothing.
    assert.deepStrictEqual(SearchExpression.parse("or a — !!"), [[literal("or"), literal("a")]])
    assert.deepStrictEqual(SearchExpression.parse(" «» "), [])
  })

  it("writes a tsquery: a word's parts in a row, unspaced runs by bigrams or prefix, phrases by position", () => {
    const query = (text: string) => SearchExpression.toTsquery(SearchExpression.parse(text))
    assert.strictEqual(query("debian.org"), "(('debian org'))")
    assert.strictEqual(query("l'équipe"), "(('l équipe'))")
    assert.strictEqual(query("ネットワーク"), "((('ネッ' & 'ット' & 'トワ' & 'ワー' & 'ーク')))")
    assert.strictEqual(query("京"), "(('京':*))")
    assert.strictEqual(query('"東京 タワー"'), "(((('東京') <2> ('タワ' <-> 'ワー'))))")
    assert.strictEqual(query("it's -x"), "(('it s') & !('x'))")
  })

  it("asks for the text check only where bigrams could occur apart", () => {
    assert.deepStrictEqual(SearchExpression.requiredRuns(literal("東京都")), ["東京都"])
    assert.deepStrictEqual(SearchExpression.requiredRuns(literal("東京")), [])
    assert.deepStrictEqual(SearchExpression.requiredRuns(literal("東京都", { phrase: true })), [])
    // An excluded long run cannot narrow the index; an alternative with nothing else cannot be narrowed at all.
    const excluded = SearchExpression.parse("設定 -ネットワーク")
    assert.deepStrictEqual(SearchExpression.prefilter(excluded), [[literal("設定")]])
    assert.isUndefined(SearchExpression.prefilter(SearchExpression.parse("-ネットワーク")))
  })
})
