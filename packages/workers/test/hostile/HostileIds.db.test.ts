/**
 * Random ids (and titles) from a hostile alphabet, through the real path: bronze `put` -> the bronze ->
 * silver sensor's tick -> the transform -> silver on PostgreSQL. Each id ends one of three ways, never
 * stalled: refused at `put` with the rule it breaks (U+0000, a lone surrogate, over 8,192 units), a
 * silver row, or a failed item with its reason (over silver's 2,048 units); and the batch's good item is
 * always a row. An id the writer refuses, written into the folder by another process, is quarantined.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, layer } from "@effect/vitest"
import { BronzeWriter, encodeExternalId } from "@medallion/bronze"
import { PgText } from "@medallion/silver"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as Pipeline from "./Pipeline.ts"

const encoder = new TextEncoder()

/** Separators, escapes, dots, NUL, lone surrogates, combining marks, bidi controls, astral characters. */
const hostileUnit = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "\u0000",
      "\uD800",
      "\uDFFF",
      "e\u0301",
      "\u00e9",
      "/",
      "\\",
      ".",
      "..",
      "%",
      "%2e",
      "~",
      "~~",
      " ",
      "\n",
      "_",
      "a",
      "Z",
      "0",
      "日",
      "🎙",
      "\uFFFD",
      "\u202E",
      ":",
      "?",
      "#",
      '"',
      "<"
    )
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }
)
const shortId = fc.string({ unit: hostileUnit, minLength: 1, maxLength: 24 })
/** Around silver's limit (2,048) and bronze's (8,192), with the `rN-` prefix each id gets. */
const longId = fc.constantFrom(2045, 2046, 4000, 8189, 8190).map((n) => "L".repeat(n))
const entry = fc.record({
  id: fc.oneof({ weight: 4, arbitrary: shortId }, { weight: 1, arbitrary: longId }),
  title: fc.string({ unit: hostileUnit, minLength: 1, maxLength: 24 })
})
const batches = fc.sample(fc.uniqueArray(entry, { minLength: 1, maxLength: 10, selector: (e) => e.id }), {
  seed: 14,
  numRuns: 8
})

const story = (n: number, title: string) =>
  encoder.encode(JSON.stringify({ id: n, type: "story", by: "someone", time: 1_700_000_000 + n, title, score: 1 }))

const key = (externalId: string) => ({ sourceType: "hn", externalId, artifactType: "item", ext: "json" })

/** What the writer must refuse, by the rules of bronze's `ExternalId` (the first rule broken is named). */
const refusedRule = (id: string): RegExp | undefined =>
  id.length > 8192
    ? /length of at most 8192/
    : PgText.problem(id.replaceAll("\u0000", "")) !== undefined
      ? /lone surrogates/
      : id.includes("\u0000")
        ? /U\+0000/
        : undefined

describe("hostile ids through bronze, the sensor and the transform into silver", () => {
  layer(Pipeline.layer, { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("property: every id is refused at put, a silver row, or a failed item with its reason", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const root = yield* Pipeline.BronzeRoot
        const stored: Array<{ id: string; title: string }> = []
        const quarantined: Array<string> = []
        const refused = new Set<string>()
        const good: Array<string> = []
        let n = 0
        for (const [run, batch] of batches.entries()) {
          // Besides the sample, in every batch: the reported case, an id with U+0000 left by another process.
          for (const { id: raw, title } of [...batch, { id: "nul\u0000id", title: "left in the folder" }]) {
            const id = `r${run}-${raw}`
            const put = yield* Effect.exit(writer.put(key(id), story(++n, title)))
            const rule = refusedRule(id)
            if (rule === undefined) {
              assert.isTrue(Exit.isSuccess(put), `${JSON.stringify(id)} was refused: ${String(put)}`)
              stored.push({ id, title })
            } else {
              assert.isTrue(Exit.isFailure(put), `${JSON.stringify(id)} was stored`)
              refused.add(rule.source)
              if (Exit.isFailure(put)) {
                const error = put.cause.reasons.find((reason) => reason._tag === "Fail")?.error
                assert.strictEqual(error?._tag, "InvalidKey")
                assert.match(error?.message ?? "", rule)
              }
              if (
                id.includes("\u0000") &&
                id.length < 100 &&
                PgText.problem(id.replaceAll("\u0000", "")) === undefined
              ) {
                // What an older version, or another process, left in the folder: the sensor must cope.
                const folder = Path.join(root, "hn", encodeExternalId(id))
                Fs.mkdirSync(folder, { recursive: true })
                Fs.writeFileSync(Path.join(folder, "item.json"), story(++n, title))
                quarantined.push(id)
              }
            }
          }
          // The good item of the batch, written last.
          const sentinel = `good-${run}`
          yield* writer.put(key(sentinel), story(++n, "a good story"))
          good.push(sentinel)
          yield* Pipeline.settle
        }

        assert.deepStrictEqual(yield* Pipeline.failedTicks, [])
        const failures = yield* Pipeline.failedItems
        for (const id of good) {
          const outcome = yield* Pipeline.outcomeOf({ sourceType: "hn", externalId: id }, failures)
          assert.strictEqual(outcome._tag, "Row", id)
          if (outcome._tag === "Row") assert.strictEqual(outcome.detail.item.transformStatus, "transformed")
        }
        for (const { id, title } of stored) {
          const outcome = yield* Pipeline.outcomeOf({ sourceType: "hn", externalId: id }, failures)
          if (id.length > 2048) {
            assert.strictEqual(outcome._tag, "FailedItem", `${id.length} units`)
            if (outcome._tag === "FailedItem") assert.match(outcome.reason, /^invalid: .*2048/)
          } else {
            assert.strictEqual(outcome._tag, "Row", JSON.stringify(id))
            if (outcome._tag === "Row") {
              assert.strictEqual(outcome.detail.item.transformStatus, "transformed")
              assert.strictEqual(outcome.detail.item.externalId, id)
              assert.strictEqual(outcome.detail.item.title, PgText.repair(title).trim() || null)
            }
          }
        }
        for (const id of quarantined) {
          const outcome = yield* Pipeline.outcomeOf({ sourceType: "hn", externalId: id }, failures)
          assert.strictEqual(outcome._tag, "FailedItem", JSON.stringify(id))
          if (outcome._tag === "FailedItem") assert.match(outcome.reason, /U\+0000 \(NUL\)/)
        }
        // The sample did reach each kind of outcome.
        assert.isAbove(stored.filter((s) => s.id.length <= 2048).length, 10)
        assert.isAbove(stored.filter((s) => s.id.length > 2048).length, 0)
        assert.isAbove(quarantined.length, 0)
        assert.strictEqual(refused.size, 3, [...refused].join(", "))
      })
    )

    it.effect("ids that differ only in Unicode normalization are two folders and two silver rows", () =>
      Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const nfc = "twin-caf\u00e9"
        const nfd = "twin-cafe\u0301"
        yield* writer.put(key(nfc), story(90_001, "composed"))
        yield* writer.put(key(nfd), story(90_002, "decomposed"))
        yield* Pipeline.settle
        const failures = yield* Pipeline.failedItems
        const a = yield* Pipeline.outcomeOf({ sourceType: "hn", externalId: nfc }, failures)
        const b = yield* Pipeline.outcomeOf({ sourceType: "hn", externalId: nfd }, failures)
        assert.deepStrictEqual(
          [a._tag === "Row" ? a.detail.item.title : a._tag, b._tag === "Row" ? b.detail.item.title : b._tag],
          ["composed", "decomposed"]
        )
      })
    )
  })
})
