import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Mapping } from "../src/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"

const problems = (document: unknown) =>
  Mapping.decode("mapping.json", document).pipe(
    Effect.flip,
    Effect.map((error) => error.problems.map((p) => `${p.path}: ${p.message}`))
  )

describe("the mapping file", () => {
  it.effect("a valid mapping decodes, with its rules resolved and a digest that ignores notes", () =>
    Effect.gen(function* () {
      const mapping = yield* Mapping.decode("mapping.json", LegacyFixture.mapping)
      assert.deepStrictEqual(
        mapping.tables.map((t) => [t.qualified, t.key]),
        [
          ["public.stories", ["id"]],
          ["public.episodes", ["guid"]],
          ["public.pages", ["url"]]
        ]
      )
      const body = mapping.tables[1]!.artifacts.find((a) => a.column === "body_text")!
      assert.deepStrictEqual(
        body.rules.map((r) => [r.when, r.destination._tag]),
        [
          ["whisper-json", "Artifact"],
          [undefined, "EntryContent"]
        ]
      )
      const annotated = yield* Mapping.decode("mapping.json", {
        ...LegacyFixture.mapping,
        tables: LegacyFixture.mapping.tables.map((t) => ({ ...t, notes: ["seen by inspect"] }))
      })
      assert.strictEqual(annotated.digest, mapping.digest)
      assert.deepStrictEqual(Mapping.rawColumns(mapping.tables[1]!), ["audio", "body_text"])
    })
  )

  it.effect("structural errors are all reported at once, each with its key", () =>
    Effect.gen(function* () {
      const found = yield* problems({
        version: 2,
        tables: [
          {
            table: "stories",
            source: "HN",
            key: 3,
            externalId: "hn_id",
            artifacts: [{ column: "raw_html", as: "article" }],
            extra: true
          },
          { table: "pages", source: "web", key: "url", externalId: "url", artifacts: [] }
        ]
      })
      assert.deepStrictEqual(found, [
        "version: Expected 1",
        "tables.0.extra: Expected no excess property",
        "tables.0.source: Expected a string matching the RegExp ^[a-z][a-z0-9_-]{0,39}$",
        "tables.0.key: Expected string | array",
        "tables.1.artifacts: Expected a value with a length of at least 1"
      ])
    })
  )

  it.effect(
    "what needs the whole document is checked too: artifacts the fetch side does not write, rules, entries",
    () =>
      Effect.gen(function* () {
        const found = yield* problems({
          version: 1,
          tables: [
            {
              table: "stories",
              source: "hn",
              key: "id",
              externalId: "hn_id",
              artifacts: [
                { column: "raw_html", as: "page" },
                { column: "payload", as: "item", rules: [{ as: "item" }] },
                { column: "body", rules: [{ as: "article" }, { when: "html", as: "article" }] },
                { column: "raw_html", as: "legacy-row" }
              ]
            },
            {
              table: "stories",
              source: "feed",
              key: "guid",
              externalId: "guid",
              artifacts: [{ column: "audio", as: "audio" }]
            },
            { table: "mine", source: "notes", key: "id", externalId: "id", artifacts: [{ column: "doc", as: "doc" }] }
          ]
        })
        assert.deepStrictEqual(found, [
          'tables.0.artifacts.0.as: the hn fetch side writes no "page" artifact; expected one of item, comments, article, enrichment-prompt, enrichment-response, skip',
          'tables.0.artifacts.1: either "as" (one destination) or "rules" (per-row rules), not both',
          'tables.0.artifacts.2.rules: only the last rule may omit "when": the rules after it never apply',
          "tables.0.artifacts.3.column: raw_html is mapped twice",
          'tables.0.artifacts.3.as: "legacy-row" is written by the migration itself, not from a column',
          "tables.1.table: public.stories is mapped twice (tables.0)",
          "tables.1.entry: a feed table needs an entry record (title, link, published, enclosure columns)",
          `tables.2.artifacts.0.as: an artifact of a source type of one's own needs "ext"`
        ])
      })
  )

  it.effect("a file that is not JSON says so", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Mapping.parse("mapping.json", "{ tables: "))
      assert.strictEqual(error.problems[0]!.path, "(document)")
      assert.include(error.message, "invalid mapping in mapping.json:\nnot valid JSON")
    })
  )
})
