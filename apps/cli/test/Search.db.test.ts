/**
 * `medallion search` as a real process on a database of its own: hits as text and as JSON, the
 * next page with `--offset`, and a `--limit` out of range refused before any query.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { ItemFixtures, TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"

const items = [
  { n: 1, language: "fr", title: "Le réseau", bodyText: "Les RÉSEAUX locaux du campus et leur configuration." },
  { n: 2, language: "fr", title: "Notes", bodyText: "Un réseau privé virtuel relie deux réseaux distants." },
  { n: 3, language: "ja", title: "設定", bodyText: "ネットワーク管理者はネットワークインターフェースを設定します。" }
].map(({ n, ...fields }) => ({ ...ItemFixtures.makeItem(n, { comments: 0 }), ...fields }))

describe("medallion search", () => {
  it.live(
    "prints ranked hits with snippets, as JSON too, pages with --offset and refuses a --limit out of range",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_search")
        yield* Effect.gen(function* () {
          yield* SilverMigrator.run()
          yield* (yield* ItemRepo).upsert(items)
        }).pipe(
          Effect.provide(ItemRepo.layer.pipe(Layer.provideMerge(SilverDatabase.layerWith({ url: database.url }))))
        )
        const dir = yield* Medallion.tempDir("medallion-search-")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {})
        const search = (...args: ReadonlyArray<string>) =>
          Medallion.run({
            args: [...Medallion.flags(Path.join(dir, "data"), configFile), "search", ...args],
            env: { DATABASE_URL: Redacted.value(database.url) }
          })

        const text = yield* search("ネットワーク")
        assert.strictEqual(text.code, 0, text.output)
        assert.include(text.stdout, "hn/40000003  設定  [ja]")
        assert.include(text.stdout, "[ネットワーク]管理者は[ネットワーク]インターフェースを設定します。")

        const json = yield* search("Réseau", "--language", "fr", "--limit", "1", "--json")
        assert.strictEqual(json.code, 0, json.output)
        const first = JSON.parse(json.stdout) as {
          hits: ReadonlyArray<{ externalId: string; language: string; rank: number; snippet: string }>
          offset: number
          limit: number
        }
        assert.strictEqual(first.hits.length, 1)
        assert.deepStrictEqual([first.offset, first.limit, first.hits[0]!.language], [0, 1, "fr"])
        assert.match(first.hits[0]!.snippet, /\[(RÉSEAUX|réseau)\]/)
        const next = JSON.parse(
          (yield* search("Réseau", "--language", "fr", "--limit", "1", "--offset", "1", "--json")).stdout
        ) as typeof first
        assert.strictEqual(next.hits.length, 1)
        assert.deepStrictEqual([first.hits[0]!.externalId, next.hits[0]!.externalId].sort(), ["40000001", "40000002"])

        const refused = yield* search("réseau", "--limit", "0")
        assert.notStrictEqual(refused.code, 0, refused.output)
        assert.include(refused.output, "--limit: 0 is not between 1 and 1000")
      }).pipe(Effect.scoped),
    120_000
  )
})
