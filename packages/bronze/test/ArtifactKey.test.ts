import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import * as fc from "fast-check"
import {
  ArtifactKey,
  ArtifactType,
  decodeSegment,
  encodeExternalId,
  ExternalId,
  hashId,
  StoredExternalId,
  location,
  parseLocation,
  SourceType
} from "../src/index.ts"
import { HOSTILE_IDS } from "./HostileIds.ts"

/** A segment is safe when it is one name, inside its parent, that every mainstream filesystem and S3 accept. */
const assertSafeSegment = (segment: string) => {
  assert.isTrue(segment.length > 0 && Buffer.byteLength(segment, "utf8") <= 255, `length of ${segment}`)
  assert.notInclude(segment, "/")
  assert.notInclude(segment, "\\")
  assert.notInclude(segment, "\u0000")
  assert.isFalse(segment.startsWith("."), `leading dot in ${segment}`)
  assert.isFalse(segment.endsWith(".") || segment.endsWith(" "), `trailing dot or space in ${segment}`)
  assert.match(segment, /^[A-Za-z0-9._~%-]+$/)
  const root = "/data/bronze/hn"
  assert.strictEqual(NodePath.dirname(NodePath.resolve(root, segment)), root)
  assert.strictEqual(NodePath.win32.dirname(NodePath.win32.resolve("C:\\bronze\\hn", segment)), "C:\\bronze\\hn")
}

const roundTrips = (id: string) => {
  const segment = encodeExternalId(id)
  const decoded = decodeSegment(segment)
  assert.isTrue(Option.isSome(decoded))
  if (Option.isNone(decoded)) return
  if (decoded.value._tag === "Id") assert.strictEqual(decoded.value.externalId, id)
  else assert.strictEqual(decoded.value.hash, hashId(id))
}

describe("ArtifactKey", () => {
  it("keeps safe ids readable as-is", () => {
    for (const id of ["8863", "dQw4w9WgXcQ", "example.com", "a_b-c", "v1.2.3"])
      assert.strictEqual(encodeExternalId(id), id)
  })

  it("escapes everything else into one segment, reversibly", () => {
    assert.strictEqual(encodeExternalId(".."), "~%2E%2E")
    assert.strictEqual(encodeExternalId("%2e%2e"), "~%252e%252e")
    assert.strictEqual(encodeExternalId("a/b"), "~a%2Fb")
    assert.strictEqual(encodeExternalId("é"), "~%C3%A9")
    assert.strictEqual(encodeExternalId("~"), "~%7E")
    for (const id of HOSTILE_IDS) {
      assertSafeSegment(encodeExternalId(id))
      roundTrips(id)
    }
  })

  it("hashes ids too long for one segment", () => {
    const long = "x".repeat(2048)
    assert.strictEqual(encodeExternalId(long), "~~" + hashId(long))
    assert.deepStrictEqual(decodeSegment(encodeExternalId(long)), Option.some({ _tag: "Hashed", hash: hashId(long) }))
  })

  it("accepts only canonical segments, so no foreign name aliases an id", () => {
    for (const segment of [
      "",
      ".",
      "..",
      ".hidden",
      "~",
      "~%2e",
      "~%2",
      "~a.b",
      "~~abc",
      "a/b",
      "~%7E",
      "~%C3",
      "x."
    ]) {
      const decoded = decodeSegment(segment)
      if (Option.isSome(decoded) && decoded.value._tag === "Id") {
        assert.strictEqual(encodeExternalId(decoded.value.externalId), segment)
      } else {
        assert.isTrue(Option.isNone(decoded) || decoded.value._tag === "Hashed", segment)
      }
    }
    assert.isTrue(Option.isNone(decodeSegment("~%2e")))
    assert.isTrue(Option.isNone(decodeSegment("..")))
    assert.isTrue(Option.isNone(decodeSegment("~~abc")))
  })

  it("does not decode a well-formed but non-canonical escape: a foreign folder never aliases a readable id", () => {
    // Each would otherwise decode to an id that already has a folder of its own.
    for (const [segment, alias] of [
      ["~%41", "A"],
      ["~abc", "abc"],
      ["~a%2Db", "a-b"],
      ["~%61bc", "abc"],
      ["~%7e", "~"],
      ["~%2D%2D", "--"]
    ] as const) {
      assert.isTrue(Option.isNone(decodeSegment(segment)), `${segment} must not decode (it would alias ${alias})`)
    }
    assert.deepStrictEqual(decodeSegment("A"), Option.some({ _tag: "Id", externalId: "A" }))
    assert.deepStrictEqual(decodeSegment("~%C3%A9"), Option.some({ _tag: "Id", externalId: "é" }))
  })

  it("validates the key parts", () => {
    const isSource = Schema.is(SourceType)
    const isArtifact = Schema.is(ArtifactType)
    const isId = Schema.is(ExternalId)
    assert.isTrue(isSource("hn") && isSource("rss_2") && !isSource("HN") && !isSource("_index") && !isSource(""))
    assert.isTrue(isArtifact("comments@2026-11-27T05-00-00Z") && isArtifact("item") && !isArtifact("Item"))
    assert.isFalse(isArtifact("item@") || isArtifact("../x") || isArtifact("a@b/c"))
    assert.isTrue(isId("x".repeat(8192)) && !isId("x".repeat(8193)) && !isId("") && !isId("\uDC00"))
    assert.isFalse(isId("a\u0000b"))
    assert.isTrue(Schema.is(StoredExternalId)("a\u0000b") && !Schema.is(StoredExternalId)("\uDC00"))
    assert.isTrue(isId("emoji 🎙️"))
  })

  it("maps keys to locations and back", () => {
    const key: ArtifactKey = {
      sourceType: "rss",
      externalId: "https://ex.com/p?1",
      artifactType: "entry@v2.1",
      ext: "xml"
    }
    const loc = location(key)
    assert.strictEqual(loc, "rss/~https%3A%2F%2Fex%2Ecom%2Fp%3F1/entry@v2.1.xml")
    const parsed = parseLocation(loc)
    assert.isTrue(Option.isSome(parsed))
    if (Option.isSome(parsed)) {
      assert.deepStrictEqual(parsed.value.decoded, { _tag: "Id", externalId: key.externalId })
      assert.strictEqual(parsed.value.artifactType, "entry@v2.1")
      assert.strictEqual(parsed.value.ext, "xml")
    }
    for (const loc of [
      "_index.jsonl",
      "hn/1/.item.json.abc.tmp",
      "hn/1/_item.json",
      "hn/../item.json",
      "hn/1/2/x.json"
    ]) {
      assert.isTrue(Option.isNone(parseLocation(loc)), loc)
    }
  })

  // Arbitrary strings of every kind: ASCII with separators and dots, full Unicode, long ones.
  const anyId = fc
    .oneof(
      fc.string({ unit: fc.constantFrom(".", "/", "\\", "%", "~", "\u0000", "a", "A", "2", "e", "E", " ", "-", "_") }),
      fc.string({ unit: "grapheme", maxLength: 80 }),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.string({ minLength: 100, maxLength: 3000 })
    )
    .filter((s) => s.length > 0 && Schema.is(ExternalId)(s))

  it("property: every id encodes to a safe segment that decodes back to it", () => {
    fc.assert(
      fc.property(anyId, (id) => {
        assertSafeSegment(encodeExternalId(id))
        roundTrips(id)
      }),
      { numRuns: 2000 }
    )
  })

  it("property: two different ids never share a segment", () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        fc.pre(a !== b)
        assert.notStrictEqual(encodeExternalId(a), encodeExternalId(b))
      }),
      { numRuns: 2000 }
    )
    // Near-misses generated on purpose: case, escapes, dots, prefixes.
    fc.assert(
      fc.property(anyId, (id) => {
        for (const other of [id.toUpperCase(), id.toLowerCase(), "~" + id, id + ".", "." + id, encodeExternalId(id)]) {
          if (other !== id && Schema.is(ExternalId)(other))
            assert.notStrictEqual(encodeExternalId(other), encodeExternalId(id))
        }
      }),
      { numRuns: 1000 }
    )
  })
})
