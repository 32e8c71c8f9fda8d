import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type LegacyRow, Mapping, RowPlan } from "../src/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"

const utf8 = (text: string) => new TextEncoder().encode(text)
const none: RowPlan.Exclusions = { byKey: new Map() }

const episode = (body: Uint8Array | null, extra: Partial<LegacyRow.LegacyRow> = {}): LegacyRow.LegacyRow => ({
  key: ["e1"],
  externalId: "e1",
  fetchedAt: Date.UTC(2025, 0, 15, 9, 0, 0),
  updatedAt: null,
  url: "https://podcast.example/episodes/e1",
  fetchStatus: null,
  fetchReason: null,
  transcriptionStatus: "done",
  transcriptionReason: null,
  raw: [null, body],
  contentTypes: [null, null],
  entry: {
    title: "Episode",
    link: "https://podcast.example/episodes/e1",
    published: Date.UTC(2025, 0, 15),
    feedUrl: "https://podcast.example/feed.xml",
    enclosureUrl: "https://podcast.example/e1.mp3",
    enclosureType: "audio/mpeg"
  },
  bytes: 0,
  tooLarge: false,
  ...extra
})

const planOf = (tableIndex: number, row: LegacyRow.LegacyRow) =>
  Effect.gen(function* () {
    const mapping = yield* Mapping.decode("fixture", LegacyFixture.mapping)
    return yield* RowPlan.plan(mapping.tables[tableIndex]!, row, none)
  })

const planned = (p: RowPlan.RowPlan) => {
  assert.strictEqual(p._tag, "Planned")
  return p as RowPlan.Planned
}

describe("what a legacy row becomes", () => {
  it.effect("body_text is a transcript when it parses as Whisper JSON, else the entry's own text", () =>
    Effect.gen(function* () {
      const whisper = planned(yield* planOf(1, episode(LegacyFixture.whisper)))
      assert.deepStrictEqual(
        whisper.artifacts.map((a) => `${a.name}.${a.ext}`),
        ["transcript.json", "entry.json"]
      )
      assert.deepStrictEqual(whisper.expected.transcript, {
        text: JSON.parse(LegacyFixture.whisper.toString("utf8")).text.trim(),
        segments: 1
      })
      assert.strictEqual(whisper.expected.transcriptionStatus, "transcribed")
      const text = planned(yield* planOf(1, episode(utf8(LegacyFixture.finalText))))
      assert.deepStrictEqual(
        text.artifacts.map((a) => a.name),
        ["entry"]
      )
      const entry = JSON.parse(new TextDecoder().decode(text.artifacts[0]!.bytes))
      assert.deepStrictEqual(entry.content, { value: LegacyFixture.finalText, type: "text" })
      assert.deepStrictEqual(entry.enclosures, [
        { url: "https://podcast.example/e1.mp3", type: "audio/mpeg", length: null }
      ])
      assert.strictEqual(entry.published, "2025-01-15T00:00:00.000Z")
      // The legacy table says transcribed; silver will say pending, and the plan says why.
      assert.strictEqual(text.expected.transcriptionStatus, "pending")
      assert.match(text.expected.notes[0]!, /no value of the row was migrated as a Whisper transcript/)
    })
  )

  it.effect("the same row always gives the same bytes; a failed status becomes the fetch side's failure record", () =>
    Effect.gen(function* () {
      const row: LegacyRow.LegacyRow = {
        key: ["9"],
        externalId: "123",
        fetchedAt: Date.UTC(2025, 0, 15, 8, 40, 0),
        updatedAt: null,
        url: "https://example.org/x",
        fetchStatus: "error",
        fetchReason: null,
        transcriptionStatus: null,
        transcriptionReason: null,
        raw: [null, null, null, null, null],
        contentTypes: [null, null, null, null, null],
        entry: {},
        bytes: 0,
        tooLarge: false
      }
      const a = planned(yield* planOf(0, row))
      const b = planned(yield* planOf(0, row))
      assert.deepStrictEqual(
        a.artifacts.map((x) => x.sha256).concat(a.legacyRow.sha256),
        b.artifacts.map((x) => x.sha256).concat(b.legacyRow.sha256)
      )
      assert.strictEqual(a.artifacts[0]!.fixedType, "fetch-error@2025-01-15T08-40-00Z")
      const record = JSON.parse(new TextDecoder().decode(a.artifacts[0]!.bytes))
      assert.deepStrictEqual(record, {
        artifact: "item",
        url: "https://example.org/x",
        reason: "legacy-failed",
        message: "fetch_status = error (no reason recorded)",
        at: "2025-01-15T08:40:00.000Z",
        source: "legacy"
      })
      assert.strictEqual(a.expected.fetchStatus, "failed")
    })
  )

  it.effect("a row read with digests (verify's) plans the same artifacts and records as with its bytes", () =>
    Effect.gen(function* () {
      const html = LegacyFixture.page("v8-blog")
      const row: LegacyRow.LegacyRow = {
        key: ["3"],
        externalId: "77",
        fetchedAt: Date.UTC(2025, 0, 15, 8, 2, 0),
        updatedAt: Date.UTC(2025, 0, 15, 8, 2, 0),
        url: "https://v8.dev/blog/article",
        fetchStatus: "done",
        fetchReason: null,
        transcriptionStatus: null,
        transcriptionReason: null,
        raw: [utf8('{"id":77,"type":"story"}'), html, null, null, null],
        contentTypes: [null, "text/html", null, null, null],
        entry: {},
        bytes: 0,
        tooLarge: false
      }
      const digest: LegacyRow.Digest = { _tag: "Digest", sha256: RowPlan.sha256(html), size: html.length }
      const withBytes = planned(yield* planOf(0, row))
      const withDigest = planned(yield* planOf(0, { ...row, raw: [row.raw[0]!, digest, null, null, null] }))
      const shape = (p: RowPlan.Planned) =>
        [...p.artifacts, p.legacyRow].map((a) => `${a.name}.${a.ext} ${a.sha256} ${a.size}`)
      assert.deepStrictEqual(shape(withDigest), shape(withBytes))
      assert.isUndefined(withDigest.artifacts.find((a) => a.name === "article")!.bytes)
    })
  )

  it.effect("rows whose id cannot name an item are skipped with the reason", () =>
    Effect.gen(function* () {
      const reasons = []
      for (const externalId of [null, "  ", "_lists", "x".repeat(2049)]) {
        const p = yield* planOf(1, episode(null, { externalId }))
        assert.strictEqual(p._tag, "Skipped")
        reasons.push((p as { kind: string }).kind)
      }
      assert.deepStrictEqual(reasons, ["null-id", "invalid-id", "invalid-id", "invalid-id"])
      const excluded = yield* Effect.gen(function* () {
        const mapping = yield* Mapping.decode("fixture", LegacyFixture.mapping)
        return yield* RowPlan.plan(mapping.tables[1]!, episode(null), {
          byKey: new Map([["guid=e1", { kind: "duplicate-id", reason: "twice" }]])
        })
      })
      assert.deepStrictEqual([excluded._tag, (excluded as { kind: string }).kind], ["Skipped", "duplicate-id"])
    })
  )
})
