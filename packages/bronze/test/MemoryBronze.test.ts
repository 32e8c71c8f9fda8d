import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BronzeReader, BronzeWriter, MemoryBronze } from "../src/index.ts"
import { contractSuite } from "./BronzeContract.ts"

contractSuite("MemoryBronze", (catalog) => MemoryBronze.layerWith({ catalog }))

describe("MemoryBronze", () => {
  it.effect("is inspectable: the stored artifacts and the index image", () =>
    Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const memory = yield* MemoryBronze
      yield* writer.put({ sourceType: "rss", externalId: "a", artifactType: "entry", ext: "xml" }, new Uint8Array([1]))
      const artifacts = yield* memory.artifacts
      assert.deepStrictEqual(
        artifacts.map((a) => a.location),
        ["rss/a/entry.xml"]
      )
      const index = yield* memory.indexText
      assert.match(index, /^\{"v":1,"location":"rss\/a\/entry.xml".*\}\n$/)
    }).pipe(Effect.provide(MemoryBronze.layerWith({ catalog: "index" })))
  )

  it.effect("each layer build is a fresh store", () =>
    Effect.gen(function* () {
      const key = { sourceType: "rss", externalId: "a", artifactType: "entry", ext: "xml" }
      yield* Effect.provide(
        Effect.flatMap(BronzeWriter, (w) => w.put(key, new Uint8Array([1]))),
        MemoryBronze.layer
      )
      const found = yield* Effect.provide(
        Effect.flatMap(BronzeReader, (r) => r.stat(key)),
        MemoryBronze.layer
      )
      assert.strictEqual(found._tag, "None")
    })
  )

  it.effect("a stored artifact cannot be changed through the caller's buffer", () =>
    Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const reader = yield* BronzeReader
      const key = { sourceType: "rss", externalId: "a", artifactType: "entry", ext: "xml" }
      const buffer = new Uint8Array([1, 2, 3])
      yield* writer.put(key, buffer)
      buffer[0] = 9
      const read = yield* reader.get(key)
      read[1] = 9
      assert.deepStrictEqual(yield* reader.get(key), new Uint8Array([1, 2, 3]))
    }).pipe(Effect.provide(Layer.fresh(MemoryBronze.layer)))
  )
})
