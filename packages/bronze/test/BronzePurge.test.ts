/**
 * Purge on the filesystem store: a tombstone blocks every later write of the item (also through
 * `putStream`), `removeItem` deletes its artifacts, record and folder and reports their sha256, a
 * second call removes nothing, a lifted tombstone allows writes again, and a torn tombstone line (a
 * crash mid-append) neither hides the next line nor counts as a tombstone.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import {
  BronzePurge,
  BronzeTombstones,
  BronzeWriter,
  FileSystemBronze,
  type ArtifactKey,
  itemLocation,
  Tombstones
} from "../src/index.ts"
import { tempRoot } from "./TempRoot.ts"

const item = { sourceType: "hn", externalId: "4242" }
const other = { sourceType: "hn", externalId: "4243" }
const key = (artifactType: string, of = item): ArtifactKey => ({ ...of, artifactType, ext: "json" })
const bytes = (text: string) => new TextEncoder().encode(text)
const sha = (text: string) => Crypto.createHash("sha256").update(text).digest("hex")

describe("BronzePurge on the filesystem store", () => {
  it.effect("tombstone first, then remove: writes refused until lifted, what was removed reported by sha256", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      yield* Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const purge = yield* BronzePurge
        const tombstones = yield* BronzeTombstones
        yield* writer.put(key("item"), bytes("a"))
        yield* writer.put(key("comments@2026-01-01T00-00-00Z"), bytes("b"))
        yield* writer.put(key("item", other), bytes("c"))

        yield* purge.tombstone(item, "purged")
        assert.isTrue(yield* tombstones.isPurged(item))
        assert.isFalse(yield* tombstones.isPurged(other))
        const refused = yield* Effect.flip(writer.put(key("article"), bytes("d")))
        assert.strictEqual(refused._tag, "BronzeIoError")
        assert.include(refused.message, "the item was purged")
        const refusedStream = yield* Effect.flip(writer.putStream(key("media"), Stream.make(bytes("e"))))
        assert.include(refusedStream.message, "the item was purged")

        const removed = yield* purge.removeItem(item)
        assert.deepStrictEqual(
          removed.map((r) => [r.location, r.sha256, r.size]),
          [
            [`hn/4242/comments@2026-01-01T00-00-00Z.json`, sha("b"), 1],
            [`hn/4242/item.json`, sha("a"), 1]
          ]
        )
        assert.isFalse(Fs.existsSync(Path.join(root, itemLocation(item))))
        assert.isTrue(Fs.existsSync(Path.join(root, itemLocation(other), "item.json")))
        assert.deepStrictEqual(yield* purge.removeItem(item), [])

        yield* purge.tombstone(item, "lifted")
        assert.isFalse(yield* tombstones.isPurged(item))
        assert.strictEqual((yield* writer.put(key("item"), bytes("a2"))).outcome, "written")
      }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "index" })))
    })
  )

  it.effect("a torn last tombstone line is terminated by the next append and counts for nothing", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      Fs.mkdirSync(root, { recursive: true })
      const file = Path.join(root, Tombstones.TOMBSTONES_FILE_NAME)
      Fs.writeFileSync(file, Tombstones.encodeTombstoneLine({ ...other, state: "purged", at: 1 }).slice(0, 30))
      yield* Effect.gen(function* () {
        const purge = yield* BronzePurge
        const tombstones = yield* BronzeTombstones
        assert.isFalse(yield* tombstones.isPurged(other))
        yield* purge.tombstone(item, "purged")
        assert.isTrue(yield* tombstones.isPurged(item))
        assert.deepStrictEqual([...(yield* tombstones.purged)], [Tombstones.itemId(item)])
      }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })))
    })
  )
})
