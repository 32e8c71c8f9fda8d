/**
 * The registry of source plug-ins: entries decoded by their plug-in's schema (with `name` and `every`
 * defaulted as the plug-in says), an unknown type named as such, collisions refused, and a built-in
 * replaced by a user's plug-in of the same type.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import * as EntryFields from "../../src/plugins/EntryFields.ts"
import * as SourcePlugin from "../../src/plugins/SourcePlugin.ts"
import * as SourcePlugins from "../../src/plugins/SourcePlugins.ts"

const notes = SourcePlugin.make({
  type: "notes",
  defaults: { name: "notes", every: "2 hours" },
  fields: { url: EntryFields.HttpUrl, limit: EntryFields.withDefault(EntryFields.Count(100), 10) },
  source: (entry) => ({
    sourceType: "notes",
    discover: Effect.succeed([{ externalId: entry.url }]),
    fetchItem: (item) => Effect.succeed({ externalId: item.externalId, outcome: "skipped" as const, written: [] })
  }),
  transforms: [{ sourceType: "notes", version: 2, transform: () => Effect.die("unused") }]
})

const decode = (registry: SourcePlugins.Registry, entries: unknown) =>
  Schema.decodeUnknownEffect(Schema.Array(SourcePlugins.entriesSchema(registry)))(entries, {
    errors: "all",
    onExcessProperty: "error"
  })

describe("SourcePlugins", () => {
  it.effect("an entry is decoded by its plug-in's schema, with the plug-in's defaults", () =>
    Effect.gen(function* () {
      const registry = SourcePlugins.extend(SourcePlugins.builtIn, [notes])
      const [entry] = yield* decode(registry, [{ type: "notes", url: "https://example.org/notes" }])
      assert.strictEqual(entry!.name, "notes")
      assert.isTrue(Duration.equals(entry!.every, Duration.hours(2)))
      assert.strictEqual(entry!.limit, 10)
      assert.strictEqual(SourcePlugins.transforms(registry).get("notes")?.version, 2)
      const bad = yield* Effect.flip(decode(registry, [{ type: "notes", url: "ftp://x", limit: 0, extra: 1 }]))
      assert.include(bad.message, 'Expected an http(s) URL\n  at [0]["url"]')
      assert.include(bad.message, 'at [0]["limit"]')
      assert.include(bad.message, 'at [0]["extra"]')
    })
  )

  it.effect("a type no plug-in has is named as such, with the types there are", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(decode(SourcePlugins.builtIn, [{ type: "notes", url: "https://x.org" }]))
      assert.include(error.message, 'one of the source types "hn", "feed", "web"')
      assert.include(error.message, 'at [0]["type"]')
    })
  )

  it("two plug-ins of one type, or two transforms of one source type, are refused; extend replaces", () => {
    assert.throws(() => SourcePlugins.make([notes, notes]), /two source plug-ins have the type "notes"/)
    const thief = SourcePlugin.make({ ...notes, type: "thief" })
    assert.throws(
      () => SourcePlugins.make([notes, thief]),
      /the plug-ins "notes" and "thief" both transform source type "notes"/
    )
    const myHn = SourcePlugin.make({ ...notes, type: "hn" })
    const replaced = SourcePlugins.extend(SourcePlugins.builtIn, [myHn])
    assert.strictEqual(replaced.get("hn"), myHn)
    assert.strictEqual(replaced.size, SourcePlugins.builtIn.size)
  })

  it("a module's plug-ins are its default export, `plugins` or `plugin`; anything else is refused", () => {
    assert.deepStrictEqual(SourcePlugins.fromModule("m", { default: notes }), [notes])
    assert.deepStrictEqual(SourcePlugins.fromModule("m", { plugins: [notes] }), [notes])
    assert.throws(() => SourcePlugins.fromModule("m.js", { answer: 42 }), /m.js exports no source plug-in/)
    assert.throws(() => SourcePlugins.fromModule("m.js", { default: { type: "x" } }), /not a source plug-in/)
  })
})
