import { assert, describe, it } from "@effect/vitest"
import * as SearchText from "../src/SearchText.ts"

describe("SearchText", () => {
  it("folds every script's capitals and compatibility forms, and turns everything but words into spaces", () => {
    assert.strictEqual(SearchText.fold("RÉSEAU «Réseaux» — СЕТЬ"), "réseau  réseaux    сеть")
    assert.strictEqual(SearchText.fold("ＲＥＳＥＡＵ ﬁn ℌ x²"), "reseau fin h x2")
    assert.strictEqual(
      SearchText.fold("/etc/network/interfaces, debian.org 😀"),
      " etc network interfaces  debian org  "
    )
    // Marks stay with their letters (Thai vowels, combining accents composed by NFKC).
    assert.strictEqual(SearchText.fold("ภาษาไทย Cafe\u0301"), "ภาษาไทย café")
  })

  it("indexes runs of unspaced scripts as bigrams and their last character", () => {
    assert.deepStrictEqual(SearchText.document({ title: "ネットワーク" }).title.split(" "), [
      "ネッ",
      "ット",
      "トワ",
      "ワー",
      "ーク",
      "ク"
    ])
    assert.strictEqual(
      SearchText.document({ body: "网络、设置。ภาษาไทย 한국어 TCPネット" }).body,
      "网络 络 设置 置 ภา าษ ษา าไ ไท ทย ย 한국 국어 어 tcp ネッ ット ト"
    )
  })

  it("keeps the prepared text within the tsvector budget, title first", () => {
    const words = Array.from({ length: 2000 }, (_, n) => `word${n}`).join(" ")
    const prepared = SearchText.document({ title: "a title", body: words }, 5_000)
    assert.strictEqual(prepared.title, "a title")
    const kept = prepared.body.split(" ")
    assert.isAbove(kept.length, 100)
    assert.isBelow(kept.length, 2000)
    assert.deepStrictEqual(kept.slice(0, 3), ["word0", "word1", "word2"])
    // A repeated word costs its positions only.
    assert.strictEqual(SearchText.document({ body: "réseau ".repeat(2000) }, 5_000).body.split(" ").length, 2000)
  })
})
