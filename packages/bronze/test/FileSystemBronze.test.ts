import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  BronzeMaintenance,
  BronzeReader,
  BronzeWriter,
  decodeIndexLine,
  encodeExternalId,
  encodeIndexLine,
  FileSystemBronze,
  INDEX_FILE_NAME
} from "../src/index.ts"
import { contractSuite } from "./BronzeContract.ts"
import { HOSTILE_IDS } from "./HostileIds.ts"
import { tempRoot } from "./TempRoot.ts"

contractSuite("FileSystemBronze", (catalog) =>
  Layer.unwrap(Effect.map(tempRoot, (root) => FileSystemBronze.layerWith({ root, catalog })))
)

const key = (externalId: string) => ({ sourceType: "hn", externalId, artifactType: "item", ext: "json" })

/** Every path under `dir`, relative, `/`-separated. */
const listTree = async (dir: string): Promise<Array<string>> =>
  (await NodeFs.readdir(dir, { recursive: true })).map((p) => p.split(NodePath.sep).join("/")).sort()

describe("FileSystemBronze", () => {
  it.effect("stores artifacts read-only, and a scan tells them from files written in place by others", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      yield* Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const reader = yield* BronzeReader
        yield* writer.put(key("mine"), new Uint8Array([1]))
        const stat = yield* Effect.promise(() => NodeFs.stat(NodePath.join(root, "hn/mine/item.json")))
        assert.strictEqual(stat.mode & 0o777, 0o444)
        // Another program writes straight into the tree: its file is writable while it grows.
        yield* Effect.promise(async () => {
          await NodeFs.mkdir(NodePath.join(root, "hn/theirs"))
          await NodeFs.writeFile(NodePath.join(root, "hn/theirs/item.json"), "{}", { mode: 0o644 })
        })
        const page = yield* reader.scan({ limit: 10 })
        const linked = Object.fromEntries(page.entries.map((e) => [e.key.externalId, e.linked]))
        assert.deepStrictEqual(linked, { mine: true, theirs: false })
      }).pipe(Effect.provide(FileSystemBronze.layerWith({ root, catalog: "scan" })))
    })
  )

  it.effect(
    "lays artifacts out as {source_type}/{external_id}/{artifact_type}.{ext} under the root, nothing else",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const writer = yield* Effect.provide(BronzeWriter, FileSystemBronze.layerWith({ root, catalog: "scan" }))
        yield* writer.put(key("8863"), new Uint8Array([1]))
        yield* writer.put(
          { ...key("dQw4w9WgXcQ"), sourceType: "youtube", artifactType: "transcript@v2", ext: "json" },
          new Uint8Array([2])
        )
        const tree = yield* Effect.promise(() => listTree(root))
        assert.deepStrictEqual(tree, [
          "hn",
          "hn/8863",
          "hn/8863/item.json",
          "youtube",
          "youtube/dQw4w9WgXcQ",
          "youtube/dQw4w9WgXcQ/transcript@v2.json"
        ])
      })
  )

  it.effect("hostile ids never leave the root and never share a folder", () =>
    Effect.gen(function* () {
      const parent = yield* tempRoot
      const root = NodePath.join(parent, "bronze")
      const writer = yield* Effect.provide(BronzeWriter, FileSystemBronze.layerWith({ root, catalog: "scan" }))
      for (const id of HOSTILE_IDS) yield* writer.put(key(id), new TextEncoder().encode(id))
      assert.deepStrictEqual(yield* Effect.promise(() => NodeFs.readdir(parent)), ["bronze"])
      const folders = yield* Effect.promise(() => NodeFs.readdir(NodePath.join(root, "hn")))
      assert.strictEqual(folders.length, HOSTILE_IDS.length)
      assert.deepStrictEqual(new Set(folders), new Set(HOSTILE_IDS.map(encodeExternalId)))
      for (const id of HOSTILE_IDS) {
        const stored = yield* Effect.promise(() =>
          NodeFs.readFile(NodePath.join(root, "hn", encodeExternalId(id), "item.json"), "utf8")
        )
        assert.strictEqual(stored, id)
      }
    })
  )

  it.effect("an id too long for one segment keeps its original id in an item record", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const id = "https://example.com/" + "long/".repeat(400)
      const writer = yield* Effect.provide(BronzeWriter, FileSystemBronze.layerWith({ root, catalog: "scan" }))
      yield* writer.put(key(id), new Uint8Array([1]))
      const segment = encodeExternalId(id)
      assert.match(segment, /^~~[0-9a-f]{64}$/)
      const record = yield* Effect.promise(() =>
        NodeFs.readFile(NodePath.join(root, "hn", segment, "_item.json"), "utf8")
      )
      assert.deepStrictEqual(JSON.parse(record), { sourceType: "hn", externalId: id })
      // A fresh reader over the same root recovers the id from bronze alone.
      const reader = yield* Effect.provide(BronzeReader, FileSystemBronze.layerReaderWith({ root, catalog: "scan" }))
      const page = yield* reader.scan({ limit: 10 })
      assert.deepStrictEqual(
        page.entries.map((e) => e.key.externalId),
        [id]
      )
    })
  )

  it.effect("a write leaves no temp file behind, and sets the file mtime to the writer's Clock", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const writer = yield* Effect.provide(BronzeWriter, FileSystemBronze.layerWith({ root, catalog: "index" }))
      yield* TestClock.setTime(1_750_000_000_250)
      yield* writer.put(key("1"), new Uint8Array([1]))
      yield* Effect.flip(writer.put(key("1"), new Uint8Array([2])))
      yield* writer.putStream(key("2"), Stream.make(new Uint8Array([3])))
      const tree = yield* Effect.promise(() => listTree(root))
      assert.deepStrictEqual(tree, [INDEX_FILE_NAME, "hn", "hn/1", "hn/1/item.json", "hn/2", "hn/2/item.json"])
      const stat = yield* Effect.promise(() => NodeFs.stat(NodePath.join(root, "hn/1/item.json")))
      assert.strictEqual(Math.round(stat.mtimeMs), 1_750_000_000_250)
    })
  )

  it.effect(
    "a temp file of an unfinished write is invisible to readers; reconcile removes it after the grace period",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const services = yield* Effect.provide(
          Effect.all({ reader: BronzeReader, writer: BronzeWriter, maintenance: BronzeMaintenance }),
          FileSystemBronze.layerWith({ root, catalog: "index", tempGraceMs: 60_000 })
        )
        yield* services.writer.put(key("1"), new Uint8Array([1]))
        const temp = NodePath.join(root, "hn", "1", ".item.json.0123456789abcdef.tmp")
        const orphanDir = NodePath.join(root, "hn", "2")
        yield* Effect.promise(async () => {
          await NodeFs.writeFile(temp, "half of a")
          await NodeFs.mkdir(orphanDir)
          await NodeFs.writeFile(NodePath.join(orphanDir, ".item.json.fedcba9876543210.tmp"), "half")
          await NodeFs.utimes(temp, 100, 100)
          await NodeFs.utimes(NodePath.join(orphanDir, ".item.json.fedcba9876543210.tmp"), 100, 100)
        })
        assert.isTrue(Option.isNone(yield* services.reader.stat(key("2"))))
        const page = yield* services.reader.scan({ limit: 10 })
        assert.deepStrictEqual(
          page.entries.map((e) => e.location),
          ["hn/1/item.json"]
        )
        // TestClock at 100 s + 30 s: younger than the grace period, kept.
        yield* TestClock.setTime(130_000)
        const early = yield* services.maintenance.reconcile()
        assert.strictEqual(early.removedTempFiles, 0)
        yield* TestClock.setTime(161_000)
        const late = yield* services.maintenance.reconcile()
        assert.strictEqual(late.removedTempFiles, 2)
        assert.deepStrictEqual(yield* Effect.promise(() => NodeFs.readdir(NodePath.join(root, "hn", "1"))), [
          "item.json"
        ])
      })
  )

  it.effect("reconcile restores index lines of artifacts the index does not list", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      // Written by a scan-mode writer: artifacts on disk, no index lines, as after a crash between link and append.
      const scanWriter = yield* Effect.provide(BronzeWriter, FileSystemBronze.layerWith({ root, catalog: "scan" }))
      yield* TestClock.setTime(1_000)
      yield* scanWriter.put(key("lost-1"), new Uint8Array([1]))
      yield* TestClock.setTime(2_000)
      yield* scanWriter.put(key("lost-2"), new Uint8Array([2]))
      const services = yield* Effect.provide(
        Effect.all({ reader: BronzeReader, writer: BronzeWriter, maintenance: BronzeMaintenance }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      yield* TestClock.setTime(3_000)
      yield* services.writer.put(key("kept"), new Uint8Array([3]))
      const before = yield* services.reader.tailIndex({ offset: 0, maxEntries: 100 })
      assert.deepStrictEqual(
        before.entries.map((e) => e.info.key.externalId),
        ["kept"]
      )
      const sinceReport = yield* services.maintenance.reconcile({ since: 2_000 })
      assert.strictEqual(sinceReport.restoredIndexLines, 1)
      const report = yield* services.maintenance.reconcile()
      assert.strictEqual(report.restoredIndexLines, 1)
      const again = yield* services.maintenance.reconcile()
      assert.strictEqual(again.restoredIndexLines, 0)
      const after = yield* services.reader.tailIndex({
        offset: before.nextOffset,
        indexId: before.indexId,
        maxEntries: 100
      })
      assert.deepStrictEqual(
        after.entries.map((e) => e.info.key.externalId),
        ["lost-2", "lost-1"]
      )
      const scanned = yield* services.reader.scan({ limit: 100 })
      for (const entry of after.entries) {
        const match = scanned.entries.find((s) => s.location === entry.info.location)
        assert.deepStrictEqual(
          entry.info,
          match && {
            key: match.key,
            size: match.size,
            sha256: match.sha256,
            writtenAt: match.writtenAt,
            location: match.location
          }
        )
      }
    })
  )

  it.effect("a torn last index line is skipped by readers and terminated, never truncated, by the next writer", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const services = yield* Effect.provide(
        Effect.all({ reader: BronzeReader, writer: BronzeWriter, maintenance: BronzeMaintenance }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      yield* services.writer.put(key("1"), new Uint8Array([1]))
      const indexPath = NodePath.join(root, INDEX_FILE_NAME)
      const torn = '{"v":1,"location":"hn/2/item.json","sourceType":"hn","exte'
      yield* Effect.promise(() => NodeFs.appendFile(indexPath, torn))
      const sizeWithTorn = (yield* Effect.promise(() => NodeFs.stat(indexPath))).size
      const page = yield* services.reader.tailIndex({ offset: 0, maxEntries: 100 })
      assert.deepStrictEqual(
        page.entries.map((e) => e.info.key.externalId),
        ["1"]
      )
      assert.strictEqual(page.nextOffset, sizeWithTorn - torn.length)
      // A cursor already past the torn bytes must still see the next entry.
      yield* services.writer.put(key("3"), new Uint8Array([3]))
      const text = yield* Effect.promise(() => NodeFs.readFile(indexPath, "utf8"))
      assert.isTrue(text.startsWith(text.slice(0, sizeWithTorn)))
      assert.strictEqual(text.slice(sizeWithTorn, sizeWithTorn + 1), "\n")
      const fromTorn = yield* services.reader.tailIndex({
        offset: sizeWithTorn,
        indexId: page.indexId,
        maxEntries: 100
      })
      assert.deepStrictEqual(
        fromTorn.entries.map((e) => e.info.key.externalId),
        ["3"]
      )
      const fromCursor = yield* services.reader.tailIndex({
        offset: page.nextOffset,
        indexId: page.indexId,
        maxEntries: 100
      })
      assert.deepStrictEqual(
        fromCursor.entries.map((e) => e.info.key.externalId),
        ["3"]
      )
      // reconcile terminates a torn tail too.
      yield* Effect.promise(() => NodeFs.appendFile(indexPath, '{"v":1,"loc'))
      const report = yield* services.maintenance.reconcile()
      assert.isTrue(report.repairedTornLine)
      assert.isTrue((yield* Effect.promise(() => NodeFs.readFile(indexPath, "utf8"))).endsWith('{"v":1,"loc\n'))
    })
  )

  it.effect("an index line whose location disagrees with its key is skipped: a traversal path, another id", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const services = yield* Effect.provide(
        Effect.all({ reader: BronzeReader, writer: BronzeWriter }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      const good = yield* services.writer.put(key("1"), new Uint8Array([1]))
      const line = (location: string, externalId: string) =>
        encodeIndexLine({ ...good, key: key(externalId), location })
      const indexPath = NodePath.join(root, INDEX_FILE_NAME)
      yield* Effect.promise(() =>
        NodeFs.appendFile(
          indexPath,
          // A path out of the store; a line naming id 2 that points at id 1's file; a line for id 3's
          // own location with id 4's key.
          line("hn/../../../etc/passwd", "1") + line("hn/1/item.json", "2") + line("hn/3/item.json", "4")
        )
      )
      yield* services.writer.put(key("5"), new Uint8Array([5]))
      const page = yield* services.reader.tailIndex({ offset: 0, maxEntries: 100 })
      assert.deepStrictEqual(
        page.entries.map((e) => [e.info.key.externalId, e.info.location]),
        [
          ["1", "hn/1/item.json"],
          ["5", "hn/5/item.json"]
        ]
      )
      assert.isTrue(Option.isNone(decodeIndexLine(line("hn/../../../etc/passwd", "1").trimEnd())))
      assert.isTrue(Option.isSome(decodeIndexLine(line("hn/1/item.json", "1").trimEnd())))
    })
  )

  it.effect("a folder or index line of an id the writer now refuses (U+0000) is still reported by the catalog", () =>
    Effect.gen(function* () {
      // Written by another process (or a version before the rule): the catalog names it, so that its
      // consumer can set it aside visibly instead of never seeing it.
      for (const catalog of ["scan", "index"] as const) {
        const root = yield* tempRoot
        const reader = yield* Effect.provide(BronzeReader, FileSystemBronze.layerWith({ root, catalog }))
        const folder = NodePath.join(root, "hn", encodeExternalId("nul\u0000id"))
        assert.strictEqual(NodePath.basename(folder), "~nul%00id")
        yield* Effect.promise(() => NodeFs.mkdir(folder, { recursive: true }))
        yield* Effect.promise(() => NodeFs.writeFile(NodePath.join(folder, "item.json"), "{}"))
        const info = {
          key: key("nul\u0000id"),
          size: 2,
          sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
          writtenAt: 1,
          location: "hn/~nul%00id/item.json"
        }
        yield* Effect.promise(() => NodeFs.writeFile(NodePath.join(root, INDEX_FILE_NAME), encodeIndexLine(info)))
        const page = yield* reader.changes({ limit: 10 })
        assert.deepStrictEqual(
          page.entries.map((e) => [e.key.externalId, e.location]),
          [["nul\u0000id", "hn/~nul%00id/item.json"]],
          catalog
        )
      }
    })
  )

  it.effect("a hashed folder without its record, or with another id's, is reported unresolved, not an error", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const services = yield* Effect.provide(
        Effect.all({ reader: BronzeReader, writer: BronzeWriter, maintenance: BronzeMaintenance }),
        FileSystemBronze.layerWith({ root, catalog: "index" })
      )
      yield* services.writer.put(key("1"), new Uint8Array([1]))
      const orphan = `~~${"b".repeat(64)}`
      const stranger = `~~${"c".repeat(64)}`
      for (const [segment, record] of [
        [orphan, undefined],
        [stranger, JSON.stringify({ sourceType: "hn", externalId: "another id" })]
      ] as const) {
        const folder = NodePath.join(root, "hn", segment)
        yield* Effect.promise(() => NodeFs.mkdir(folder, { recursive: true }))
        yield* Effect.promise(() => NodeFs.writeFile(NodePath.join(folder, "item.json"), "{}"))
        if (record !== undefined) {
          yield* Effect.promise(() => NodeFs.writeFile(NodePath.join(folder, "_item.json"), record))
        }
      }
      const page = yield* services.reader.scan({ limit: 10 })
      assert.deepStrictEqual(
        page.entries.map((e) => e.key.externalId),
        ["1"]
      )
      assert.deepStrictEqual((page.unresolved ?? []).map((u) => [u.location, u.reason]).sort(), [
        [`hn/${orphan}/item.json`, "the hashed item folder has no _item.json"],
        [`hn/${stranger}/item.json`, "its _item.json names an id that does not hash to the folder's name"]
      ])
      const report = yield* services.maintenance.reconcile()
      assert.deepStrictEqual([report.restoredIndexLines, report.unresolvedArtifacts], [0, 2])
    })
  )

  it.effect("refuses a case-insensitive root, where readable ids differing in case would share a folder", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      // Simulates a case-insensitive volume by resolving every name case-insensitively.
      const caseInsensitiveLookup = async (path: string) => {
        const dir = NodePath.dirname(path)
        const names = await NodeFs.readdir(dir)
        const match = names.find((n) => n.toLowerCase() === NodePath.basename(path).toLowerCase())
        if (match === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" })
        return NodeFs.lstat(NodePath.join(dir, match))
      }
      const refused = yield* Effect.flip(FileSystemBronze.checkRoot(root, caseInsensitiveLookup))
      assert.strictEqual(refused.operation, "probe-case-sensitivity")
      assert.match(refused.message, /case-insensitive/)
      yield* FileSystemBronze.checkRoot(root)
      assert.deepStrictEqual(yield* Effect.promise(() => NodeFs.readdir(root)), [])
    })
  )

  it.effect("the reader-only layer writes nothing, not even the root", () =>
    Effect.gen(function* () {
      const parent = yield* tempRoot
      const root = NodePath.join(parent, "absent")
      const reader = yield* Effect.provide(BronzeReader, FileSystemBronze.layerReaderWith({ root, catalog: "index" }))
      assert.deepStrictEqual((yield* reader.scan({ limit: 10 })).entries, [])
      assert.deepStrictEqual((yield* reader.tailIndex({ offset: 0, maxEntries: 10 })).entries, [])
      assert.deepStrictEqual(yield* Effect.promise(() => NodeFs.readdir(parent)), [])
    })
  )
})
