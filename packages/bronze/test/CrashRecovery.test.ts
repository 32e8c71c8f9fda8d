/**
 * Real child processes write bronze and are SIGKILLed mid-write and mid-append; the store must then hold
 * only whole artifacts, an index that parses, and reconcile must restore every lost line.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  BronzeMaintenance,
  BronzeReader,
  BronzeWriter,
  decodeIndexLine,
  FileSystemBronze,
  INDEX_FILE_NAME
} from "../src/index.ts"
import { contentFor, keyFor } from "./child/CrashData.ts"
import { tempRoot } from "./TempRoot.ts"

const CHILD = fileURLToPath(new URL("./child/BronzeChild.ts", import.meta.url))

interface Child {
  readonly process: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const start = (args: ReadonlyArray<string>): Child => {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { process: child, output: () => output, exited }
}

/** Resolves once `ready` holds, polling on the event loop (a condition, not a timing). */
const until = async (ready: () => boolean | Promise<boolean>, child: Child): Promise<void> => {
  let exited = false
  void child.exited.then(() => (exited = true))
  while (!(await ready())) {
    if (exited) throw new Error(`child exited early: ${child.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

const kill = async (child: Child): Promise<void> => {
  child.process.kill("SIGKILL")
  await child.exited
}

const putsDone = (child: Child): number => (child.output().match(/^put \d+$/gm) ?? []).length

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const tree = async (root: string): Promise<Array<string>> =>
  (await NodeFs.readdir(root, { recursive: true })).map((p) => p.split(NodePath.sep).join("/"))

const storeOf = (root: string) =>
  Effect.provide(
    Effect.all({ reader: BronzeReader, writer: BronzeWriter, maintenance: BronzeMaintenance }),
    FileSystemBronze.layerWith({ root, catalog: "index", tempGraceMs: 0 })
  )

describe("crash recovery", () => {
  it.live(
    "children killed mid-write leave only whole artifacts; the index parses; reconcile restores lost lines",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const kills = [3, 11, 7, 19, 1, 14]
        for (const [round, after] of kills.entries()) {
          const child = start(["write-loop", root, `r${round}`])
          yield* Effect.promise(() => until(() => putsDone(child) >= after, child))
          yield* Effect.promise(() => kill(child))
        }
        const stalled = start(["stream-stall", root])
        yield* Effect.promise(() => until(() => stalled.output().includes("streaming"), stalled))
        yield* Effect.promise(() => kill(stalled))

        // The stalled media write left its temp file, hidden from readers.
        const files = yield* Effect.promise(() => tree(root))
        const temps = files.filter((p) => p.endsWith(".tmp"))
        assert.isTrue(
          temps.some((p) => p.startsWith("crash/stall-0/")),
          files.join("\n")
        )

        const { reader, maintenance, writer } = yield* storeOf(root)
        assert.isTrue(Option.isNone(yield* reader.stat(keyFor("stall", 0))))
        const scanned = (yield* reader.scan({ limit: 10_000 })).entries
        assert.isTrue(scanned.length >= kills.reduce((a, b) => a + b, 0))
        for (const entry of scanned) {
          assert.notMatch(entry.location, /\.tmp$/)
          const expected = contentFor(entry.key)
          assert.strictEqual(entry.size, expected.length, entry.location)
          assert.strictEqual(entry.sha256, sha256(expected), entry.location)
          assert.deepStrictEqual(yield* reader.get(entry.key), expected)
        }

        // Every complete index line parses or is skipped; every entry names a whole artifact.
        const before = yield* reader.tailIndex({ offset: 0, maxEntries: 100_000 })
        const byLocation = new Map(scanned.map((e) => [e.location, e]))
        for (const { info } of before.entries) {
          const match = byLocation.get(info.location)
          assert.isDefined(match, info.location)
          assert.strictEqual(info.sha256, match?.sha256)
        }

        const report = yield* maintenance.reconcile()
        assert.strictEqual(report.removedTempFiles, temps.length)
        const after = yield* reader.tailIndex({ offset: 0, maxEntries: 100_000 })
        assert.deepStrictEqual(
          new Set(after.entries.map((e) => e.info.location)),
          new Set(scanned.map((e) => e.location))
        )
        assert.strictEqual(
          report.restoredIndexLines,
          scanned.length - new Set(before.entries.map((e) => e.info.location)).size
        )
        assert.deepStrictEqual(
          (yield* Effect.promise(() => tree(root))).filter((p) => p.endsWith(".tmp")),
          []
        )
        // The store keeps working where the children stopped.
        const next = keyFor("stall", 0)
        assert.strictEqual((yield* writer.put(next, contentFor(next))).outcome, "written")
      }),
    120_000
  )

  it.live(
    "a child killed mid-append leaves a torn last line that readers skip and the next writer terminates",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const indexPath = NodePath.join(root, INDEX_FILE_NAME)
        const lines = 400_000
        const child = start(["append-huge", root, String(lines)])
        const size = () =>
          NodeFs.stat(indexPath).then(
            (s) => s.size,
            () => 0
          )
        yield* Effect.promise(() => until(async () => (await size()) > 0, child))
        yield* Effect.promise(() => kill(child))
        const text = yield* Effect.promise(() => NodeFs.readFile(indexPath, "utf8"))
        const complete = text.lastIndexOf("\n") + 1
        // Killed inside the one write: fewer lines than asked, and a line cut short.
        assert.isBelow(text.split("\n").length - 1, lines)
        assert.isBelow(complete, text.length, "the kill should land mid-line")

        const { reader, writer } = yield* storeOf(root)
        let offset = 0
        let indexId: string | undefined
        let entries = 0
        while (true) {
          const page = yield* reader.tailIndex({ offset, indexId, maxEntries: 50_000 })
          entries += page.entries.length
          if (page.nextOffset === offset) break
          offset = page.nextOffset
          indexId = page.indexId
        }
        assert.strictEqual(offset, Buffer.byteLength(text.slice(0, complete)))
        assert.strictEqual(entries, text.slice(0, complete).split("\n").length - 1)

        const key = keyFor("after", 0)
        yield* writer.put(key, contentFor(key))
        const repaired = yield* Effect.promise(() => NodeFs.readFile(indexPath, "utf8"))
        assert.isTrue(repaired.startsWith(text), "repair never truncates")
        const tail = repaired.slice(text.length)
        assert.isTrue(tail.startsWith("\n"))
        assert.isTrue(Option.isSome(decodeIndexLine(tail.slice(1, -1))))
        const page = yield* reader.tailIndex({ offset, indexId, maxEntries: 10 })
        assert.deepStrictEqual(
          page.entries.map((e) => e.info.key),
          [key]
        )
      }),
    120_000
  )

  it.live(
    "a live writer's temp file is kept; once its writer is killed, the next reconcile removes it at once",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const temps = () =>
          tree(root).then((paths) => paths.filter((p) => NodePath.basename(p).startsWith(".") && p.endsWith(".tmp")))
        const child = start(["stream-stall", root])
        yield* Effect.promise(() => until(() => child.output().includes("streaming"), child))
        const writing = yield* Effect.promise(temps)
        assert.strictEqual(writing.length, 1, "the stalled stream has its temp file")
        // The default grace (one hour): only the writer's liveness can decide.
        const maintenance = yield* Effect.provide(
          BronzeMaintenance,
          FileSystemBronze.layerWith({ root, catalog: "index" })
        )
        const live = yield* maintenance.reconcile()
        assert.strictEqual(child.process.exitCode, null, `the writer must still be running: ${child.output()}`)
        assert.strictEqual(live.removedTempFiles, 0)
        assert.deepStrictEqual(yield* Effect.promise(temps), writing, "a live writer's temp file is not removed")

        yield* Effect.promise(() => kill(child))
        const dead = yield* maintenance.reconcile()
        assert.strictEqual(dead.removedTempFiles, 1)
        assert.deepStrictEqual(yield* Effect.promise(temps), [])
      }),
    120_000
  )

  it.live(
    "two processes appending at once never interleave index lines",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        yield* storeOf(root)
        const children = [start(["append-count", root, "left", "150"]), start(["append-count", root, "right", "150"])]
        const codes = yield* Effect.promise(() => Promise.all(children.map((c) => c.exited)))
        assert.deepStrictEqual(codes, [0, 0], children.map((c) => c.output()).join("\n"))
        const text = yield* Effect.promise(() => NodeFs.readFile(NodePath.join(root, INDEX_FILE_NAME), "utf8"))
        const rawLines = text.split("\n")
        assert.strictEqual(rawLines.pop(), "")
        assert.strictEqual(rawLines.length, 300)
        const locations = rawLines.map((line) => {
          const info = decodeIndexLine(line)
          assert.isTrue(Option.isSome(info), line)
          return Option.getOrThrow(info).location
        })
        assert.strictEqual(new Set(locations).size, 300)
      }),
    120_000
  )

  it.live(
    "a large media stream is written in bounded memory",
    () =>
      Effect.gen(function* () {
        const root = yield* tempRoot
        const megabytes = 384
        const child = start(["stream-big", root, String(megabytes)])
        const code = yield* Effect.promise(() => child.exited)
        assert.strictEqual(code, 0, child.output())
        const report = JSON.parse(child.output().trim()) as { size: number; peakHeapAndBuffers: number }
        assert.strictEqual(report.size, megabytes * 1024 * 1024)
        // A buffering store would hold all 384 MB; a streaming one a few chunks plus garbage (~60 MB measured).
        assert.isBelow(report.peakHeapAndBuffers, 128 * 1024 * 1024)
      }),
    120_000
  )
})
