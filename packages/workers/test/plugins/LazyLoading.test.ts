/**
 * The built-in plug-ins' code is imported on first use: a `LazyTransform` loads its module on its first
 * item, once, and refuses code that is not the version it announced; a `LazySource` loads its source on
 * its first discovery, once, and a module that fails to load is the source's failure, with its reason.
 */
import { MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as LazySource from "../../src/fetch/LazySource.ts"
import type { Source } from "../../src/fetch/Source.ts"
import * as ArtifactSet from "../../src/transform/ArtifactSet.ts"
import type { ItemRows } from "../../src/transform/ItemRows.ts"
import * as LazyTransform from "../../src/transform/LazyTransform.ts"
import type { SourceTransform } from "../../src/transform/SourceTransform.ts"
import * as TransformOptions from "../../src/transform/TransformOptions.ts"

const key = { sourceType: "posts", externalId: "1" }
const rows: ItemRows = { key, outcome: "failed", reason: "nothing here", item: undefined, discovered: [] }
const transformOf = (version: number): SourceTransform => ({
  sourceType: "posts",
  version,
  transform: () => Effect.succeed(rows)
})
const artifacts = ArtifactSet.fromList(key, [])

describe("LazyTransform", () => {
  it.effect("imports the code on the first item only, and refuses code of another version", () =>
    Effect.gen(function* () {
      let loads = 0
      const lazy = LazyTransform.make("posts", 2, () => {
        loads++
        return Promise.resolve(transformOf(2))
      })
      assert.strictEqual(lazy.version, 2)
      assert.strictEqual(loads, 0, "loaded before its first item")
      const options = { ...TransformOptions.defaultOptions, transformVersion: 2 }
      assert.deepStrictEqual(yield* lazy.transform(artifacts, options), rows)
      yield* lazy.transform(artifacts, options)
      assert.strictEqual(loads, 1)

      const stale = LazyTransform.make("posts", 3, () => Promise.resolve(transformOf(2)))
      const exit = yield* Effect.exit(stale.transform(artifacts, options))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit))
        assert.include(Cause.pretty(exit.cause), 'the transform loaded for "posts" version 3 is "posts" version 2')
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})

describe("LazySource", () => {
  it.effect("loads the source on first use, once; a module that fails to load fails the discovery", () =>
    Effect.gen(function* () {
      let loads = 0
      const source: Source = {
        sourceType: "posts",
        discover: Effect.succeed([{ externalId: "1" }]),
        fetchItem: (item) => Effect.succeed({ externalId: item.externalId, outcome: "skipped", written: [] })
      }
      const lazy = LazySource.make("posts", () => {
        loads++
        return Promise.resolve(source)
      })
      assert.strictEqual(loads, 0)
      assert.deepStrictEqual(yield* lazy.discover, [{ externalId: "1" }])
      assert.strictEqual((yield* lazy.fetchItem({ externalId: "1" })).outcome, "skipped")
      assert.strictEqual(loads, 1)

      const broken = LazySource.make<never>("posts", () => Promise.reject(new Error("Cannot find module './gone.js'")))
      const error = yield* Effect.flip(broken.discover)
      assert.strictEqual(error._tag, "SourceError")
      assert.strictEqual(error.sourceType, "posts")
      assert.include(error.message, "Cannot find module './gone.js'")
    })
  )
})
