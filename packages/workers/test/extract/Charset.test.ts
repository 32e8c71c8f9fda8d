import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Charset from "../../src/extract/Charset.ts"
import { testFixture } from "../support/Fixtures.ts"

const utf8 = (s: string) => new TextEncoder().encode(s)

describe("Charset", () => {
  it.effect("prefers a BOM, then the header, then the document's declaration", () =>
    Effect.gen(function* () {
      const bom = yield* Charset.decodeHtml(
        new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("<p>caf\u00e9</p>")]),
        "text/html; charset=iso-8859-1"
      )
      assert.strictEqual(bom.source, "bom")
      assert.strictEqual(bom.text, "<p>café</p>")
      const latin1 = new Uint8Array([...utf8('<meta charset="utf-8"><p>caf'), 0xe9, ...utf8("</p>")])
      const header = yield* Charset.decodeHtml(latin1, "text/html; charset=ISO-8859-1")
      assert.strictEqual(header.source, "header")
      assert.strictEqual(header.charset, "windows-1252")
      assert.include(header.text, "café")
      const gbk = new Uint8Array([
        ...utf8('<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><p>'),
        0xc4,
        0xe3,
        0xba,
        0xc3,
        ...utf8("</p>")
      ])
      const meta = yield* Charset.decodeHtml(gbk)
      assert.strictEqual(meta.source, "meta")
      assert.include(meta.text, "你好")
    })
  )

  it.effect(
    "overrules a legacy declaration when the bytes are valid UTF-8 (a page moved to UTF-8 that kept its old meta)",
    () =>
      Effect.gen(function* () {
        const decoded = yield* Charset.decodeHtml(utf8('<meta charset="gb2312"><p>你好, wörld</p>'))
        assert.strictEqual(decoded.charset, "utf-8")
        assert.strictEqual(decoded.source, "utf8-valid")
        assert.strictEqual(decoded.declared, "gbk")
        assert.include(decoded.text, "你好, wörld")
      })
  )

  it.effect("survives an unknown label and an empty file with a clear result", () =>
    Effect.gen(function* () {
      const unknown = yield* Charset.decodeHtml(utf8('<meta charset="x-no-such-charset"><p>ok</p>'))
      assert.strictEqual(unknown.charset, "utf-8")
      assert.strictEqual(unknown.declared, "x-no-such-charset")
      const empty = yield* Effect.flip(Charset.decodeHtml(new Uint8Array()))
      assert.strictEqual(empty.kind, "empty")
    })
  )

  it.effect("decodes real feeds: declared ISO-8859-1, and undeclared Latin-1 bytes", () =>
    Effect.gen(function* () {
      const declared = yield* Charset.decodeXml(testFixture("extract-feeds/encoding.rss"))
      assert.strictEqual(declared.source, "xml-declaration")
      assert.strictEqual(declared.charset, "windows-1252")
      assert.include(declared.text, "Mãe de utente é a nova presidente da Raríssimas")
      const undeclared = yield* Charset.decodeXml(testFixture("transform/feeds/uolNoticias.rss"))
      assert.strictEqual(undeclared.source, "default")
      assert.include(undeclared.text, "Últimas Notícias")
    })
  )
})
