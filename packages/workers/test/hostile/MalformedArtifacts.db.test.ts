/**
 * Malformed artifacts of every kind, through the real path (bronze, the sensor's tick, the transform,
 * silver on PostgreSQL), each in a batch with good items: truncated and invalid UTF-8 JSON, HTML and
 * feeds, deeply nested JSON and HTML, huge titles, text with U+0000, an empty file, a billion-laughs XML
 * feed. Each ends as a silver row or a failed item with the reason that names what was wrong; no tick
 * fails, every run finishes, and the good items of the same batch are rows.
 */
import * as Fs from "node:fs"
import { assert, describe, layer } from "@effect/vitest"
import { type ArtifactKey, BronzeWriter } from "@medallion/bronze"
import type { Item } from "@medallion/silver"
import { Effect } from "effect"
import * as FeedEntryId from "../../src/fetch/FeedEntryId.ts"
import * as Pipeline from "./Pipeline.ts"

const encoder = new TextEncoder()
const utf8 = (text: string) => encoder.encode(text)
const bytes = (...parts: ReadonlyArray<string | ReadonlyArray<number>>) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...utf8(part)] : [...part])))
const fixture = (path: string) =>
  new Uint8Array(Fs.readFileSync(new URL(`../fixtures/server/${path}`, import.meta.url)))

const story = (id: number, fields: Record<string, unknown> = {}) =>
  utf8(JSON.stringify({ id, type: "story", by: "someone", time: 1_700_000_000, title: `story ${id}`, ...fields }))

const nested = (depth: number, open: string, close: string, inner = "") =>
  open.repeat(depth) + inner + close.repeat(depth)

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><link>https://example.org/</link>
<item><title>&lol9;</title><guid>laugh-1</guid><link>https://example.org/laugh-1</link></item>
</channel></rss>`

/** What an item must become: a row with its transform status (and the reason, or a check of it), or a failed item. */
type Expect =
  | { readonly row: "failed"; readonly reason: RegExp }
  | { readonly row: "transformed"; readonly check?: ((detail: Item.ItemDetail) => void) | undefined }
  | { readonly failedItem: RegExp }
  /** A folder that is not an item (a feed's): an item it lists, a `pending` row, checked by `check`. */
  | { readonly lists: Item.ItemKey; readonly check: (detail: Item.ItemDetail) => void }

interface Case {
  readonly name: string
  readonly item: Item.ItemKey
  readonly artifacts: ReadonlyArray<readonly [artifactType: string, ext: string, bytes: Uint8Array]>
  readonly expect: Expect
}

const hn = (externalId: string, name: string, body: Uint8Array, expect: Expect): Case => ({
  name,
  item: { sourceType: "hn", externalId },
  artifacts: [["item", "json", body]],
  expect
})
const web = (path: string, name: string, body: Uint8Array, expect: Expect): Case => ({
  name,
  item: { sourceType: "web", externalId: `https://example.org/${path}` },
  artifacts: [["page", "html", body]],
  expect
})

const thread = Array.from({ length: 5000 }, (_, i) => ({
  id: 100_000 + i,
  type: "comment",
  by: "replier",
  parent: i === 0 ? 9009 : 100_000 + i - 1,
  text: `reply ${i}`,
  time: 1_700_000_000 + i
}))

const cases: ReadonlyArray<Case> = [
  hn("9001", "truncated JSON", utf8('{"id":9001,"type":"story","title":"cut sh'), {
    row: "failed",
    reason: /^item\.json: HN item: the JSON ends early \(truncated\)/
  }),
  hn("9002", "invalid UTF-8 in JSON", bytes('{"id":9002,"type":"story","title":"', [0xff, 0xfe, 0xc3, 0x28], '"}'), {
    row: "failed",
    reason: /^item\.json: HN item: not valid UTF-8$/
  }),
  hn("9003", "empty JSON file", new Uint8Array(0), {
    row: "failed",
    reason: /^item\.json: HN item: the file is empty$/
  }),
  hn("9004", "deeply nested JSON array", utf8(nested(200_000, "[", "]")), {
    row: "failed",
    reason: /^item\.json: HN item: Expected object \| null/
  }),
  hn("9005", "deeply nested JSON object", utf8(nested(100_000, '{"a":', "}", "1")), {
    row: "failed",
    reason: /^item\.json: HN item: Missing key/
  }),
  hn("9006", "huge title (2 MB)", story(9006, { title: "T".repeat(2_000_000) }), {
    row: "transformed",
    check: (d) => assert.strictEqual(d.item.title, "T".repeat(2_000_000))
  }),
  hn(
    "9010",
    "a title of 200,000 distinct words (more than a search vector can hold)",
    story(9010, { title: Array.from({ length: 200_000 }, (_, i) => `w${i}`).join(" ") }),
    { row: "transformed", check: (d) => assert.strictEqual(d.item.title?.split(" ").length, 200_000) }
  ),
  hn(
    "9007",
    "U+0000 and lone surrogates in the text",
    utf8('{"id":9007,"type":"story","title":"nul \\u0000 and \\ud800 here","text":"<p>a\\u0000b</p>"}'),
    {
      row: "transformed",
      check: (d) => assert.deepStrictEqual([d.item.title, d.item.bodyText], ["nul \uFFFD and \uFFFD here", "a\uFFFDb"])
    }
  ),
  hn("9008", "HTML where JSON should be", utf8("<!doctype html><html><body>oops</body></html>"), {
    row: "failed",
    reason: /^item\.json: HN item: invalid JSON/
  }),
  {
    name: "a comment thread 5,000 replies deep",
    item: { sourceType: "hn", externalId: "9009" },
    artifacts: [
      ["item", "json", story(9009)],
      ["comments", "json", utf8(JSON.stringify(thread))]
    ],
    expect: {
      row: "transformed",
      check: (d) => assert.deepStrictEqual([d.comments.length, d.comments.at(-1)?.depth], [5000, 4999])
    }
  },
  web(
    "bad-utf8",
    "invalid UTF-8 in HTML",
    bytes("<html><head><title>bad</title></head><body><p>", [0xc3, 0x28], " text</p></body></html>"),
    // Not UTF-8 and no charset declared: read as windows-1252, the web's fallback.
    { row: "transformed", check: (d) => assert.strictEqual(d.item.bodyText, "\u00c3( text") }
  ),
  web("truncated", "truncated HTML", fixture("html/dev418.html").subarray(0, 3000), {
    row: "transformed",
    check: (d) => assert.strictEqual(d.item.title, "Readability Test")
  }),
  // Deeper pages (thousands of levels) take minutes to extract on one thread: bounding that is the
  // extraction time budget's job, tested with it.
  web(
    "deep",
    "deeply nested HTML (300 divs)",
    utf8(
      `<html><head><title>deep</title></head><body>${nested(300, "<div>", "</div>", "<p>at the bottom</p>")}</body></html>`
    ),
    { row: "transformed", check: (d) => assert.include(d.item.bodyText ?? "", "at the bottom") }
  ),
  web(
    "nul",
    "U+0000 bytes in HTML",
    bytes(
      "<html><head><title>nul",
      [0],
      "title</title></head><body><article><p>",
      "text ".repeat(40),
      [0],
      "</p></article></body></html>"
    ),
    {
      row: "transformed",
      check: (d) => {
        assert.strictEqual(d.item.title, "nul\uFFFDtitle")
        assert.notInclude(d.item.bodyText ?? "", "\u0000")
      }
    }
  ),
  web(
    "huge-title",
    "huge title in HTML (1 MB)",
    utf8(`<html><head><title>${"T".repeat(1_000_000)}</title></head><body><p>short body</p></body></html>`),
    { row: "transformed", check: (d) => assert.strictEqual(d.item.title?.length, 1_000_000) }
  ),
  {
    name: "billion-laughs XML feed",
    item: { sourceType: "feed", externalId: "_feed:https://example.org/laughs.rss" },
    artifacts: [["feed", "xml", utf8(billionLaughs)]],
    // The entities are not expanded (a billion "lol"s would be 3 GB): the entry is listed, its title small.
    expect: {
      lists: { sourceType: "feed", externalId: FeedEntryId.entryId("https://example.org/laughs.rss", "laugh-1") },
      check: (d) => assert.isBelow((d.item.title ?? "").length, 1000)
    }
  },
  {
    name: "truncated feed",
    item: { sourceType: "feed", externalId: "_feed:https://example.org/truncated.rss" },
    artifacts: [["feed", "xml", fixture("feeds/narro.rss").subarray(0, 700)]],
    // A feed's folder is no item, until its discovery fails: then it is a row whose fetch failed, with the
    // reason, and its run succeeds (the failure is the source's state).
    expect: {
      row: "transformed",
      check: (d) => {
        assert.strictEqual(d.item.fetchStatus, "failed")
        assert.match(d.item.fetchError ?? "", /^feed\.xml: not a recognizable RSS, Atom, RDF or JSON feed/)
      }
    }
  },
  {
    name: "a feed entry record that is not JSON",
    item: { sourceType: "feed", externalId: "https://example.org/entry-bad" },
    artifacts: [["entry", "json", utf8("{not json")]],
    expect: { row: "failed", reason: /^entry\.json: feed entry record: invalid JSON/ }
  }
]

const good: ReadonlyArray<Case> = [
  hn("9100", "good story", story(9100), { row: "transformed" }),
  web("good", "good page", fixture("html/ietf-1.html"), {
    row: "transformed",
    check: (d) => assert.strictEqual(d.item.title, "remoteStorage")
  })
]

describe("malformed artifacts through the sensor and the transform into silver", () => {
  layer(Pipeline.layer, { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("each is a row or a failed item with its reason; nothing stalls; the good items are rows", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        for (const c of [...cases, ...good]) {
          for (const [artifactType, ext, body] of c.artifacts) {
            const key: ArtifactKey = { ...c.item, artifactType, ext }
            yield* writer.put(key, body)
          }
        }
        yield* Pipeline.settle
        assert.deepStrictEqual(yield* Pipeline.failedTicks, [])
        const failures = yield* Pipeline.failedItems
        for (const c of [...cases, ...good]) {
          const expect = c.expect
          if ("lists" in expect) {
            const listed = yield* Pipeline.outcomeOf(expect.lists, failures)
            assert.strictEqual(listed._tag, "Row", c.name)
            if (listed._tag === "Row") expect.check(listed.detail)
            continue
          }
          const outcome = yield* Pipeline.outcomeOf(c.item, failures)
          if ("failedItem" in expect) {
            assert.strictEqual(outcome._tag, "FailedItem", c.name)
            if (outcome._tag === "FailedItem") assert.match(outcome.reason, expect.failedItem, c.name)
            continue
          }
          assert.strictEqual(outcome._tag, "Row", c.name)
          if (outcome._tag !== "Row") continue
          assert.strictEqual(outcome.detail.item.transformStatus, expect.row, c.name)
          if (expect.row === "failed") assert.match(outcome.detail.item.transformError ?? "", expect.reason, c.name)
          else expect.check?.(outcome.detail)
        }
      })
    )
  })
})
