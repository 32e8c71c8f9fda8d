import { assert, describe, it } from "@effect/vitest"
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { Effect } from "effect"
import { BronzeImport, type LegacyRow, Mapping, RowPlan } from "../src/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"

const utf8 = (text: string) => new TextEncoder().encode(text)
const none: RowPlan.Exclusions = { byKey: new Map() }

/** A row of the fixture's `stories` table: id 7, HN item 42, an article and a comment tree. */
const row = (html: string, updatedAt: number, extra: Partial<LegacyRow.LegacyRow> = {}): LegacyRow.LegacyRow => ({
  key: ["7"],
  externalId: "42",
  fetchedAt: Date.UTC(2025, 0, 15, 8, 0, 0),
  updatedAt,
  url: "https://example.org/a",
  fetchStatus: "done",
  fetchReason: null,
  transcriptionStatus: null,
  transcriptionReason: null,
  raw: [utf8('{"id":42,"type":"story","title":"A"}'), utf8(html), utf8("[]"), null, null],
  contentTypes: [null, "text/html; charset=utf-8", null, null, null],
  entry: {},
  bytes: 0,
  tooLarge: false,
  ...extra
})

const planned = (r: LegacyRow.LegacyRow) =>
  Effect.gen(function* () {
    const mapping = yield* Mapping.decode("fixture", LegacyFixture.mapping)
    const p = yield* RowPlan.plan(mapping.tables[0]!, r, none)
    assert.strictEqual(p._tag, "Planned")
    return p as RowPlan.Planned
  })

const names = Effect.map(
  BronzeReader.use((reader) => reader.listItem({ sourceType: "hn", externalId: "42" })),
  (infos) => infos.map((i) => `${i.key.artifactType}.${i.key.ext}`).sort()
)

const T1 = Date.UTC(2025, 0, 15, 8, 0, 0)
const T2 = Date.UTC(2025, 1, 1, 10, 0, 0)

describe("importing a row into bronze", () => {
  it.effect("first values take the fetch side's names; the same row again writes nothing", () =>
    Effect.gen(function* () {
      const first = yield* BronzeImport.importRow(yield* planned(row("<p>one</p>", T1)))
      assert.strictEqual(first.written, 5)
      assert.deepStrictEqual(yield* names, [
        "article-response.json",
        "article.html",
        "comments@2025-01-15T08-00-00Z.json",
        "item.json",
        "legacy-row.json"
      ])
      const again = yield* BronzeImport.importRow(yield* planned(row("<p>one</p>", T1)))
      assert.deepStrictEqual([again.written, again.unchanged], [0, 5])
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a changed value is a new version stamped with the row's time, beside the old one", () =>
    Effect.gen(function* () {
      yield* BronzeImport.importRow(yield* planned(row("<p>one</p>", T1)))
      const changed = yield* BronzeImport.importRow(yield* planned(row("<p>two</p>", T2)))
      assert.strictEqual(changed.written, 3)
      assert.deepStrictEqual(yield* names, [
        "article-response.json",
        "article-response@2025-02-01T10-00-00Z.json",
        "article.html",
        "article@2025-02-01T10-00-00Z.html",
        "comments@2025-01-15T08-00-00Z.json",
        "item.json",
        "legacy-row.json",
        "legacy-row@2025-02-01T10-00-00Z.json"
      ])
      const old = yield* BronzeReader.use((r) =>
        r.get({ sourceType: "hn", externalId: "42", artifactType: "article", ext: "html" })
      )
      assert.strictEqual(new TextDecoder().decode(old), "<p>one</p>")
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a stamp another value holds falls back to the import's own time; both taken give the row up", () =>
    Effect.gen(function* () {
      yield* BronzeImport.importRow(yield* planned(row("<p>one</p>", T1)))
      const writer = yield* BronzeWriter
      const key = (stamp: string) => ({
        sourceType: "hn",
        externalId: "42",
        artifactType: `article@${stamp}`,
        ext: "html"
      })
      yield* writer.put(key("2025-02-01T10-00-00Z"), utf8("<p>someone else's</p>"))
      const fallback = yield* BronzeImport.importRow(yield* planned(row("<p>two</p>", T2)))
      assert.strictEqual(fallback.written, 3)
      // The test clock stands at 0: the import's own stamp.
      assert.include(yield* names, "article@1970-01-01T00-00-00Z.html")
      // The row's stamp taken, and the import's own too (by the fallback above).
      yield* writer.put(key("2025-03-01T10-00-00Z"), utf8("<p>a third</p>"))
      const taken = yield* Effect.flip(
        BronzeImport.importRow(yield* planned(row("<p>three</p>", Date.UTC(2025, 2, 1, 10, 0, 0))))
      )
      assert.strictEqual(taken._tag, "VersionTaken")
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
