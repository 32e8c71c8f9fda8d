/**
 * The bronze -> silver sensor's tick at scale: the evaluation (the catalog part of a tick: page through
 * bronze from the cursor, group into runs) in index and scan mode, from an empty cursor, in steady state
 * with nothing new, and with 1,000 new artifacts; next to the machine's own limits measured in the same
 * run: a hand-written readdir + lstat walk of the whole tree, and a plain read + JSON.parse of index lines.
 *
 * "1,000 new" is a cursor placed 1,000 artifacts before the end of the tree (the generated tree is never
 * modified, so it can be reused): to the sensor that is the same as 1,000 artifacts written since its
 * last tick.
 */
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { decodeIndexLine, FileSystemBronze, INDEX_FILE_NAME } from "@medallion/bronze"
import { BronzeSensor, type Sensor } from "@medallion/sensors"
import { Effect, Option } from "effect"
import type { ScaleTree } from "./generate.ts"
import { offsetOfLastLines } from "./IndexTail.ts"

export interface TickSettings {
  /** Runs per tick and items per run (the configuration's `sensors.maxRunsPerTick` and `sensors.batchSize`). */
  readonly maxRunsPerTick: number
  readonly batchSize: number
}

export interface Measurement {
  readonly label: string
  readonly ms: number
  /** What the operation handed out or read (artifacts, items, files). */
  readonly detail: string
  /** Label of the baseline row this one is compared with. */
  readonly baseline?: string | undefined
  readonly peakRssMb: number
}

const mb = (bytes: number) => bytes / 2 ** 20

/** Runs `run` `repeats` times and keeps the median time; samples the process's peak RSS meanwhile. */
const timed = async <A>(repeats: number, run: () => Promise<A>) => {
  let peakRss = process.memoryUsage.rss()
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5)
  try {
    const times: Array<number> = []
    let result!: A
    for (let i = 0; i < repeats; i++) {
      const started = performance.now()
      result = await run()
      times.push(performance.now() - started)
    }
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    times.sort((a, b) => a - b)
    return { result, ms: times[Math.floor(times.length / 2)]!, peakRssMb: mb(peakRss) }
  } finally {
    clearInterval(timer)
  }
}

/** The baseline walk: every source folder, every item folder listed, every file lstat'ed, 256 items at a time. */
const rawWalk = async (root: string): Promise<number> => {
  let files = 0
  for (const source of await NodeFs.readdir(root, { withFileTypes: true })) {
    if (!source.isDirectory() || source.name.startsWith(".")) continue
    const sourceDir = NodePath.join(root, source.name)
    const dir = await NodeFs.opendir(sourceDir, { bufferSize: 256 })
    let batch: Array<string> = []
    const flush = async () => {
      const counts = await Promise.all(
        batch.map(async (name) => {
          const itemDir = NodePath.join(sourceDir, name)
          const entries = await NodeFs.readdir(itemDir)
          await Promise.all(entries.map((entry) => NodeFs.lstat(NodePath.join(itemDir, entry))))
          return entries.length
        })
      )
      for (const n of counts) files += n
      batch = []
    }
    for await (const entry of dir) {
      batch.push(entry.name)
      if (batch.length >= 256) await flush()
    }
    await flush()
  }
  return files
}

/** The baseline index read: `lines` lines from `offset`, read in one go and JSON.parse'd. */
const rawIndexRead = async (path: string, offset: number, lines: number): Promise<number> => {
  const handle = await NodeFs.open(path, "r")
  try {
    let parsed = 0
    let position = offset
    let rest = ""
    const chunk = Buffer.alloc(1024 * 1024)
    while (parsed < lines) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position)
      if (bytesRead === 0) break
      position += bytesRead
      const text = rest + chunk.toString("utf8", 0, bytesRead)
      const parts = text.split("\n")
      rest = parts.pop()!
      for (const line of parts) {
        if (parsed >= lines) break
        JSON.parse(line)
        parsed++
      }
    }
    return parsed
  } finally {
    await handle.close()
  }
}

/** The index line at `offset` (the first artifact after a cursor placed there). */
const lineAt = async (path: string, offset: number) => {
  const handle = await NodeFs.open(path, "r")
  try {
    const buffer = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset)
    const text = buffer.toString("utf8", 0, bytesRead)
    return Option.getOrThrow(decodeIndexLine(text.slice(0, text.indexOf("\n"))))
  } finally {
    await handle.close()
  }
}

const handedOut = (evaluation: Sensor.Evaluation<unknown, unknown>) =>
  evaluation._tag === "Runs" ? evaluation.runs.reduce((n, run) => n + run.items.length, 0) : 0

const describe = (evaluation: Sensor.Evaluation<unknown, unknown>) =>
  evaluation._tag === "Runs"
    ? `${evaluation.runs.length} runs, ${handedOut(evaluation).toLocaleString("en-US")} items`
    : "skip (nothing new)"

export const measureTicks = async (tree: ScaleTree, settings: TickSettings): Promise<Array<Measurement>> => {
  const indexPath = NodePath.join(tree.root, INDEX_FILE_NAME)
  const page = settings.maxRunsPerTick * settings.batchSize
  const reader = FileSystemBronze.layerReaderWith({ root: tree.root, catalog: "index" })
  const context = () => ({ maxRuns: settings.maxRunsPerTick, now: Date.now() })
  const run = <A>(effect: Effect.Effect<A, unknown, never>) => Effect.runPromise(effect)
  const evaluateIndex = (cursor: BronzeSensor.IndexCursor) =>
    run(BronzeSensor.evaluateIndex({ batchSize: settings.batchSize }, cursor, context()).pipe(Effect.provide(reader)))
  const scanOptions = { batchSize: settings.batchSize, settleMs: 5_000, maxSeen: 500, reconcileEveryMs: 86_400_000 }
  const evaluateScan = (cursor: BronzeSensor.ScanCursor) =>
    run(BronzeSensor.evaluateScan<never>(scanOptions, cursor, context()).pipe(Effect.provide(reader)))

  const rows: Array<Measurement> = []
  const walkLabel = "baseline: readdir + lstat of the whole tree"
  const firstLinesLabel = `baseline: read + JSON.parse the first ${page.toLocaleString("en-US")} index lines`
  const tailLabel = "baseline: read + JSON.parse the last 1,000 index lines"

  // Baselines first, so that the sensor's reads do not get a cache the baseline did not have.
  const walk = await timed(1, () => rawWalk(tree.root))
  if (walk.result !== tree.artifacts) throw new Error(`the walk found ${walk.result} files, expected ${tree.artifacts}`)
  rows.push({
    label: walkLabel,
    ms: walk.ms,
    detail: `${walk.result.toLocaleString("en-US")} files`,
    peakRssMb: walk.peakRssMb
  })
  const first = await timed(3, () => rawIndexRead(indexPath, 0, page))
  rows.push({
    label: firstLinesLabel,
    ms: first.ms,
    detail: `${first.result.toLocaleString("en-US")} lines`,
    peakRssMb: first.peakRssMb
  })
  const tailOffset = await offsetOfLastLines(indexPath, 1000)
  const tail = await timed(3, () => rawIndexRead(indexPath, tailOffset, 1000))
  rows.push({
    label: tailLabel,
    ms: tail.ms,
    detail: `${tail.result.toLocaleString("en-US")} lines`,
    peakRssMb: tail.peakRssMb
  })

  // Index mode.
  const indexFirst = await timed(3, () => evaluateIndex(BronzeSensor.initialIndex))
  const indexId = indexFirst.result.cursor.indexId
  const indexEnd = await timed(3, () => evaluateIndex({ _tag: "Index", indexId, offset: tree.indexBytes }))
  const indexNew = await timed(3, () => evaluateIndex({ _tag: "Index", indexId, offset: tailOffset }))
  const pageLabel = `page ${page.toLocaleString("en-US")} artifacts`
  rows.push(
    {
      label: `index tick: first (empty cursor, ${pageLabel})`,
      ms: indexFirst.ms,
      detail: describe(indexFirst.result),
      baseline: firstLinesLabel,
      peakRssMb: indexFirst.peakRssMb
    },
    {
      label: "index tick: steady, nothing new",
      ms: indexEnd.ms,
      detail: describe(indexEnd.result),
      baseline: tailLabel,
      peakRssMb: indexEnd.peakRssMb
    },
    {
      label: "index tick: steady, 1,000 new",
      ms: indexNew.ms,
      detail: describe(indexNew.result),
      baseline: tailLabel,
      peakRssMb: indexNew.peakRssMb
    }
  )

  // Scan mode: the cursor just before the last 1,000 artifacts, and at the very last one.
  const lastOld = await lineAt(indexPath, await offsetOfLastLines(indexPath, 1001))
  const last = await lineAt(indexPath, await offsetOfLastLines(indexPath, 1))
  const at = (info: typeof last): BronzeSensor.ScanCursor => ({
    ...BronzeSensor.initialScan,
    mtimeMs: info.writtenAt,
    seen: [info.location],
    lastReconcileAt: Date.now()
  })
  const scanFirst = await timed(1, () => evaluateScan(BronzeSensor.initialScan))
  const scanEnd = await timed(1, () => evaluateScan(at(last)))
  const scanNew = await timed(1, () => evaluateScan(at(lastOld)))
  rows.push(
    {
      label: `scan tick: first (empty cursor, ${pageLabel})`,
      ms: scanFirst.ms,
      detail: describe(scanFirst.result),
      baseline: walkLabel,
      peakRssMb: scanFirst.peakRssMb
    },
    {
      label: "scan tick: steady, nothing new",
      ms: scanEnd.ms,
      detail: describe(scanEnd.result),
      baseline: walkLabel,
      peakRssMb: scanEnd.peakRssMb
    },
    {
      label: "scan tick: steady, 1,000 new",
      ms: scanNew.ms,
      detail: describe(scanNew.result),
      baseline: walkLabel,
      peakRssMb: scanNew.peakRssMb
    }
  )

  // Both modes answer the same question on the same tree: a difference means a broken measurement.
  const pairs: ReadonlyArray<[string, number, number]> = [
    ["first tick", handedOut(indexFirst.result), handedOut(scanFirst.result)],
    ["nothing new", handedOut(indexEnd.result), handedOut(scanEnd.result)],
    ["1,000 new", handedOut(indexNew.result), handedOut(scanNew.result)]
  ]
  for (const [what, index, scan] of pairs) {
    if (index !== scan) throw new Error(`${what}: the index tick handed out ${index} items, the scan tick ${scan}`)
  }
  if (handedOut(indexNew.result) === 0 || handedOut(indexEnd.result) !== 0) {
    throw new Error("the steady-state cursors are misplaced")
  }
  return rows
}
