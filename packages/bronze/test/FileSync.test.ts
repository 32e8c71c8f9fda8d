/**
 * The filesystem store's durability calls, observed through an injected `FileSync` that records each call
 * (and what the folder holds at that moment) and then makes the real one: a written file is synced before
 * it is linked into view, its folder after, every folder it had to create too, and the index after an
 * append.
 */
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  BronzeMaintenance,
  BronzeWriter,
  encodeExternalId,
  FileSync,
  FileSystemBronze,
  INDEX_FILE_NAME
} from "../src/index.ts"
import { tempRoot } from "./TempRoot.ts"

interface Call {
  readonly kind: "file" | "data" | "directory"
  /** Relative to the root ("." for the root itself). */
  readonly path: string
  /** For a file: whether the name it is about to be linked to already exists. For a folder: its entries. */
  readonly seen: ReadonlyArray<string> | boolean
}

/** Syncs started and not finished yet: none may be left when a put answers. */
const inFlight = { count: 0 }

/**
 * Each sync takes a while (as on a busy disk), so that one the writer does not wait for is still running
 * when it answers; those of the new parent folders take longer than the whole rest of the put.
 */
const slowly = async (ms: number, run: () => Promise<void>) => {
  inFlight.count++
  try {
    await new Promise((resolve) => setTimeout(resolve, ms))
    await run()
  } finally {
    inFlight.count--
  }
}

const observer = (root: string, calls: Array<Call>): FileSync.FileSyncShape => {
  const rel = (path: string) => NodePath.relative(root, path) || "."
  return {
    file: async (handle, path) => {
      // A temp file `.{name}.{writer and random}.tmp` becomes `{name}`.
      const final = NodePath.join(NodePath.dirname(path), NodePath.basename(path).replace(/^\.(.*)\.[^.]+\.tmp$/, "$1"))
      calls.push({ kind: "file", path: rel(final), seen: NodeFs.existsSync(final) })
      await slowly(5, () => FileSync.node.file(handle, path))
    },
    data: async (handle, path) => {
      calls.push({ kind: "data", path: rel(path), seen: true })
      await slowly(5, () => FileSync.node.data(handle, path))
    },
    directory: async (path) => {
      calls.push({
        kind: "directory",
        path: rel(path),
        seen: NodeFs.readdirSync(path)
          .filter((n) => !n.endsWith(".tmp"))
          .sort()
      })
      const parent = rel(path) === "." || rel(path) === "hn"
      await slowly(parent ? 300 : 5, () => FileSync.node.directory(path))
    }
  }
}

describe("FileSystemBronze durability (fsync)", () => {
  it.effect(
    "a file is synced before its link, its folder after, new parent folders, and the index after an append",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const calls: Array<Call> = []
        const store = FileSystemBronze.layerWith({ root, catalog: "index" }).pipe(
          Layer.provide(Layer.succeed(FileSync.FileSync, observer(root, calls)))
        )
        // An id too long for a readable segment: its folder also gets the id record, written the same way.
        const externalId = "https://example.com/" + "x".repeat(300)
        const segment = encodeExternalId(externalId)
        const item = `hn/${segment}`
        const { writer, maintenance } = yield* Effect.provide(
          Effect.all({ writer: BronzeWriter, maintenance: BronzeMaintenance }),
          store
        )
        yield* writer.put({ sourceType: "hn", externalId, artifactType: "item", ext: "json" }, new Uint8Array([1]))
        assert.deepStrictEqual(calls, [
          // mkdir -p hn/<segment>: both new entries made durable, deepest first.
          { kind: "directory", path: "hn", seen: [segment] },
          { kind: "directory", path: ".", seen: ["hn"] },
          // The id record, then the artifact: each synced while its final name does not exist yet...
          { kind: "file", path: `${item}/_item.json`, seen: false },
          // ...and its folder synced once the link made it visible.
          { kind: "directory", path: item, seen: ["_item.json"] },
          { kind: "file", path: `${item}/item.json`, seen: false },
          { kind: "directory", path: item, seen: ["_item.json", "item.json"] },
          // The index line, appended after the artifact is visible.
          { kind: "data", path: INDEX_FILE_NAME, seen: true }
        ])
        // The new folders' syncs run while the artifact is written, and have finished when the put answers.
        assert.strictEqual(inFlight.count, 0)

        // A second artifact of the item creates no folder: no parent is synced again.
        calls.length = 0
        yield* writer.put({ sourceType: "hn", externalId, artifactType: "comments", ext: "json" }, new Uint8Array([2]))
        assert.deepStrictEqual(
          calls.map((call) => `${call.kind} ${call.path}`),
          [`file ${item}/comments.json`, `directory ${item}`, `data ${INDEX_FILE_NAME}`]
        )

        // The same bytes again write nothing, so sync nothing.
        calls.length = 0
        yield* writer.put({ sourceType: "hn", externalId, artifactType: "item", ext: "json" }, new Uint8Array([1]))
        assert.deepStrictEqual(calls, [])

        // A reconcile that terminates a torn index tail syncs it too.
        NodeFs.appendFileSync(NodePath.join(root, INDEX_FILE_NAME), '{"v":1,"loc')
        yield* maintenance.reconcile()
        assert.deepStrictEqual(
          calls.map((call) => `${call.kind} ${call.path}`),
          [`data ${INDEX_FILE_NAME}`]
        )
      })
  )
})
