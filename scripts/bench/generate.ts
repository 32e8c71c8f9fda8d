/**
 * The scale generator: a bronze folder of `items` synthetic items (see generateBodies.ts) with its
 * `_index.jsonl`, under `.bench/scale/bronze-{items}`. Written once and reused by later runs (the
 * manifest `.complete` marks a finished tree of the current generator version; anything else there is
 * removed and written again). One worker thread per core writes chunks of items; the index lines of each
 * chunk are joined in chunk order, so the index is in `writtenAt` order like a real writer's.
 */
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { Worker } from "node:worker_threads"
import { INDEX_FILE_NAME } from "@medallion/bronze"
import { GENERATOR_VERSION } from "./generateBodies.ts"
import type { ChunkDone, ChunkRequest } from "./generateWorker.ts"

export const SCALE_ROOT = NodePath.resolve(import.meta.dirname, "../../.bench/scale")

const CHUNK = 5_000
const MANIFEST = ".complete"

export interface ScaleTree {
  readonly root: string
  readonly items: number
  readonly artifacts: number
  readonly bytes: number
  readonly indexBytes: number
  readonly version: number
  /** Seconds the generation took (when this tree was written). */
  readonly seconds: number
}

const readManifest = (root: string): ScaleTree | undefined => {
  try {
    const manifest = JSON.parse(NodeFs.readFileSync(NodePath.join(root, MANIFEST), "utf8")) as ScaleTree
    return manifest.version === GENERATOR_VERSION ? { ...manifest, root } : undefined
  } catch {
    return undefined
  }
}

const runWorkers = (requests: ReadonlyArray<ChunkRequest>, threads: number, onDone: (done: ChunkDone) => void) =>
  new Promise<void>((resolve, reject) => {
    const queue = [...requests]
    let running = 0
    let failed = false
    const workers: Array<Worker> = []
    const stopAll = () => Promise.all(workers.map((w) => w.terminate()))
    const feed = (worker: Worker) => {
      const next = queue.shift()
      if (next === undefined) {
        running--
        void worker.terminate()
        if (running === 0 && !failed) resolve()
        return
      }
      worker.postMessage(next)
    }
    for (let t = 0; t < Math.min(threads, requests.length); t++) {
      const worker = new Worker(new URL("./generateWorker.ts", import.meta.url))
      workers.push(worker)
      running++
      worker.on("message", (done: ChunkDone) => {
        onDone(done)
        feed(worker)
      })
      worker.on("error", (error) => {
        failed = true
        void stopAll().then(() => reject(error))
      })
      feed(worker)
    }
    if (requests.length === 0) resolve()
  })

/** The tree of `items` items, generated now if it is not on disk yet. */
export const ensureScaleTree = async (
  items: number,
  log: (line: string) => void = (line) => process.stderr.write(line + "\n")
): Promise<ScaleTree> => {
  if (!Number.isSafeInteger(items) || items <= 0) throw new Error(`items must be a positive integer, got ${items}`)
  const root = NodePath.join(SCALE_ROOT, `bronze-${items}`)
  const existing = readManifest(root)
  if (existing !== undefined) return existing

  log(`generating ${items.toLocaleString("en-US")} items under ${root} ...`)
  const started = performance.now()
  NodeFs.rmSync(root, { recursive: true, force: true })
  const parts = NodePath.join(root, ".parts")
  NodeFs.mkdirSync(parts, { recursive: true })
  for (const source of ["hn", "feed", "web"]) NodeFs.mkdirSync(NodePath.join(root, source))

  const requests: Array<ChunkRequest> = []
  for (let start = 0; start < items; start += CHUNK) {
    requests.push({ root, items, start, end: Math.min(items, start + CHUNK), part: NodePath.join(parts, `${start}`) })
  }
  let artifacts = 0
  let bytes = 0
  let doneItems = 0
  let nextReport = 100_000
  await runWorkers(requests, NodeOs.availableParallelism(), (done) => {
    artifacts += done.artifacts
    bytes += done.bytes
    doneItems += Math.min(CHUNK, items - done.start)
    if (doneItems >= nextReport) {
      log(`  ${doneItems.toLocaleString("en-US")} items, ${((performance.now() - started) / 1000).toFixed(0)} s`)
      nextReport += 100_000
    }
  })

  // The index, in chunk order (= writtenAt order), appended part by part.
  const indexPath = NodePath.join(root, INDEX_FILE_NAME)
  const fd = NodeFs.openSync(indexPath, "w")
  try {
    for (const request of requests) NodeFs.writeSync(fd, NodeFs.readFileSync(request.part))
  } finally {
    NodeFs.closeSync(fd)
  }
  NodeFs.rmSync(parts, { recursive: true, force: true })

  const tree: ScaleTree = {
    root,
    items,
    artifacts,
    bytes,
    indexBytes: NodeFs.statSync(indexPath).size,
    version: GENERATOR_VERSION,
    seconds: (performance.now() - started) / 1000
  }
  NodeFs.writeFileSync(NodePath.join(root, MANIFEST), JSON.stringify(tree))
  log(
    `  done: ${artifacts.toLocaleString("en-US")} artifacts, ${(bytes / 2 ** 20).toFixed(0)} MB, ` +
      `index ${(tree.indexBytes / 2 ** 20).toFixed(0)} MB, in ${tree.seconds.toFixed(0)} s`
  )
  return tree
}
