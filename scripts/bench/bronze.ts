/**
 * Bronze benchmark: write throughput against a raw-filesystem baseline measured in the same run, and
 * catalog time (full scan vs index tail) at 100k and 1M artifacts.
 *
 *   pnpm bench bronze            everything (generates the 1M tree once, ~minutes; kept for later runs)
 *   pnpm bench bronze --no-1m    skips the 1M catalog
 *   pnpm bench bronze --writes   the write table only
 *   pnpm bench bronze --quick    a twentieth of the writes and a 2k catalog (a smoke run: seconds)
 *
 * Data lives under `.bench/bronze/` (gitignored). Write trees are new folders per run and are removed
 * only after measuring (creating files right after deleting many is slow on ext4).
 */
import { randomBytes } from "node:crypto"
import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import {
  BronzeReader,
  BronzeWriter,
  encodeExternalId,
  encodeIndexLine,
  FileSystemBronze,
  INDEX_FILE_NAME
} from "@medallion/bronze"
import { Effect } from "effect"
import { offsetOfLastLines } from "./IndexTail.ts"

const BENCH_ROOT = NodePath.resolve(import.meta.dirname, "../../.bench/bronze")

const mb = (bytes: number) => bytes / (1024 * 1024)
const fmt = (n: number, digits = 1) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Samples the process's peak memory while `run` is going. */
const withPeakMemory = async <A>(
  run: () => Promise<A>
): Promise<{ result: A; ms: number; peakRssMb: number; peakHeapMb: number }> => {
  const base = process.memoryUsage()
  let peakRss = base.rss
  let peakHeap = base.heapUsed + base.arrayBuffers
  const sample = () => {
    const usage = process.memoryUsage()
    peakRss = Math.max(peakRss, usage.rss)
    peakHeap = Math.max(peakHeap, usage.heapUsed + usage.arrayBuffers)
  }
  const timer = setInterval(sample, 5)
  const started = performance.now()
  try {
    const result = await run()
    sample()
    return { result, ms: performance.now() - started, peakRssMb: mb(peakRss), peakHeapMb: mb(peakHeap) }
  } finally {
    clearInterval(timer)
  }
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

const fsyncDir = async (dir: string) => {
  const handle = await NodeFs.open(dir, "r")
  await handle.sync()
  await handle.close()
}

/** The baseline: what a careful hand-written write-once costs (mkdir, temp, write, fsync, link, unlink, dir fsync). */
const rawWrite = async (root: string, item: string, name: string, bytes: Uint8Array) => {
  const dir = NodePath.join(root, item)
  await NodeFs.mkdir(dir, { recursive: true })
  const temp = NodePath.join(dir, `.${name}.${randomBytes(8).toString("hex")}.tmp`)
  const handle = await NodeFs.open(temp, "wx")
  await handle.write(bytes)
  await handle.sync()
  await handle.close()
  await NodeFs.link(temp, NodePath.join(dir, name))
  await NodeFs.unlink(temp)
  await fsyncDir(dir)
}

interface WriteCase {
  readonly label: string
  readonly size: number
  readonly count: number
  readonly ext: string
}

const WRITE_CASES: ReadonlyArray<WriteCase> = [
  { label: "2 KB JSON", size: 2 * 1024, count: 2000, ext: "json" },
  { label: "50 KB HTML", size: 50 * 1024, count: 600, ext: "html" },
  { label: "5 MB media", size: 5 * 1024 * 1024, count: 24, ext: "mp3" }
]

const benchWrites = async (runDir: string, scale: number) => {
  const rows: Array<Array<string>> = []
  for (const full of WRITE_CASES) {
    const c = { ...full, count: Math.max(2, Math.round(full.count * scale)) }
    const bodies = Array.from({ length: Math.min(c.count, 16) }, () => randomBytes(c.size))
    const body = (i: number) => {
      // Distinct bytes per artifact without allocating count × size.
      const b = bodies[i % bodies.length]!
      b.writeUInt32LE(i, 0)
      return b
    }
    const rawRoot = NodePath.join(runDir, `raw-${c.ext}`)
    // Warm-up, so that the first measured writer does not pay for cold caches alone.
    for (let i = 0; i < 20; i++)
      await rawWrite(NodePath.join(runDir, `warmup-${c.ext}`), `item-${i}`, `item.${c.ext}`, body(i))
    const writers = await Promise.all(
      (["scan", "index"] as const).map((catalog) =>
        Effect.runPromise(
          Effect.provide(
            Effect.all({ writer: BronzeWriter }),
            FileSystemBronze.layerWith({ root: NodePath.join(runDir, `bronze-${catalog}-${c.ext}`), catalog })
          )
        ).then(({ writer }) => [catalog, writer] as const)
      )
    )
    // The writers take turns in rounds, so that a change of the machine's load falls on all of them alike.
    const rounds = Math.min(10, c.count)
    const raw = { ms: 0 }
    const spent = new Map<string, number>(writers.map(([catalog]) => [catalog, 0]))
    for (let round = 0; round < rounds; round++) {
      const from = Math.floor((c.count * round) / rounds)
      const to = Math.floor((c.count * (round + 1)) / rounds)
      const rawStart = performance.now()
      for (let i = from; i < to; i++) await rawWrite(rawRoot, `item-${i}`, `item.${c.ext}`, body(i))
      raw.ms += performance.now() - rawStart
      for (const [catalog, writer] of writers) {
        const start = performance.now()
        await Effect.runPromise(
          Effect.forEach(
            Array.from({ length: to - from }, (_, k) => from + k),
            (i) =>
              writer.put({ sourceType: "bench", externalId: `item-${i}`, artifactType: "item", ext: c.ext }, body(i)),
            { discard: true }
          )
        )
        spent.set(catalog, spent.get(catalog)! + performance.now() - start)
      }
    }
    const results: Array<[string, number]> = [...spent]
    const rawPerSec = c.count / (raw.ms / 1000)
    rows.push([c.label, "raw (temp+fsync+link)", fmt(rawPerSec, 0), fmt((rawPerSec * c.size) / 1024 / 1024), "1.00"])
    for (const [catalog, ms] of results) {
      const perSec = c.count / (ms / 1000)
      rows.push([
        c.label,
        `bronze put (${catalog})`,
        fmt(perSec, 0),
        fmt((perSec * c.size) / 1024 / 1024),
        fmt(perSec / rawPerSec, 2)
      ])
    }
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

/**
 * A tree of `count` artifacts (2 per item, ~100 bytes each) with its `_index.jsonl`, written without
 * fsync. Kept on disk and reused: generation is the slow part.
 */
const ensureCatalogTree = async (count: number): Promise<string> => {
  const root = NodePath.join(BENCH_ROOT, `catalog-${count}`)
  const done = NodePath.join(root, ".complete")
  if (
    await NodeFs.stat(done).then(
      () => true,
      () => false
    )
  )
    return root
  await NodeFs.rm(root, { recursive: true, force: true })
  process.stderr.write(`generating ${count.toLocaleString("en-US")} artifacts under ${root} ...\n`)
  const items = count / 2
  const baseMs = 1_700_000_000_000
  const batch = 256
  let lines: Array<string> = []
  for (let start = 0; start < items; start += batch) {
    const end = Math.min(items, start + batch)
    const infos = await Promise.all(
      Array.from({ length: end - start }, async (_, j) => {
        const i = start + j
        const externalId = String(10_000_000 + i)
        const dir = NodePath.join(root, "hn", encodeExternalId(externalId))
        await NodeFs.mkdir(dir, { recursive: true })
        return Promise.all(
          (["item", "comments"] as const).map(async (artifactType, k) => {
            const body = `{"id":${externalId},"kind":"${artifactType}","text":"${"x".repeat(64)}"}`
            const path = NodePath.join(dir, `${artifactType}.json`)
            await NodeFs.writeFile(path, body)
            const writtenAt = baseMs + i * 2 + k
            await NodeFs.utimes(path, writtenAt / 1000, writtenAt / 1000)
            return encodeIndexLine({
              key: { sourceType: "hn", externalId, artifactType, ext: "json" },
              size: Buffer.byteLength(body),
              sha256: "0".repeat(64),
              writtenAt,
              location: `hn/${encodeExternalId(externalId)}/${artifactType}.json`
            })
          })
        )
      })
    )
    for (const pair of infos) lines.push(...pair)
    if (lines.length >= 20_000) {
      await NodeFs.appendFile(NodePath.join(root, INDEX_FILE_NAME), lines.join(""))
      lines = []
    }
    if (Math.floor(end / 50_000) > Math.floor(start / 50_000)) {
      process.stderr.write(`  ${(end * 2).toLocaleString("en-US")}\n`)
    }
  }
  await NodeFs.appendFile(NodePath.join(root, INDEX_FILE_NAME), lines.join(""))
  await NodeFs.writeFile(done, "")
  return root
}

const benchCatalog = async (count: number) => {
  const root = await ensureCatalogTree(count)
  const reader = await Effect.runPromise(
    Effect.provide(BronzeReader, FileSystemBronze.layerReaderWith({ root, catalog: "index" }))
  )
  const scan = await withPeakMemory(() => Effect.runPromise(reader.scan({ limit: 1000 })))
  if (scan.result.entries.length !== 1000) throw new Error("scan returned a short page")
  const offset = await offsetOfLastLines(NodePath.join(root, INDEX_FILE_NAME), 1000)
  const tail = await withPeakMemory(() => Effect.runPromise(reader.tailIndex({ offset, maxEntries: 1000 })))
  if (tail.result.entries.length !== 1000) throw new Error("index tail returned a short page")
  const label = count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1000}k`
  return [
    [
      label,
      "full scan (page of 1,000)",
      fmt(scan.ms / 1000, 2) + " s",
      fmt(scan.peakRssMb, 0),
      fmt(scan.peakHeapMb, 0)
    ],
    [label, "index tail (last 1,000)", fmt(tail.ms, 1) + " ms", fmt(tail.peakRssMb, 0), fmt(tail.peakHeapMb, 0)]
  ]
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |"
  return [line(header), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...rows.map(line)].join("\n")
}

export default async (args: ReadonlyArray<string>) => {
  const runDir = NodePath.join(BENCH_ROOT, `writes-${process.pid}-${randomBytes(4).toString("hex")}`)
  await NodeFs.mkdir(runDir, { recursive: true })
  process.stdout.write(
    `bronze bench on ${NodeOs.cpus()[0]?.model ?? "?"} x${NodeOs.cpus().length}, ${fmt(NodeOs.totalmem() / 2 ** 30, 0)} GB RAM, Node ${process.version}, ${BENCH_ROOT}\n\n`
  )
  const quick = args.includes("--quick")
  const writes = await benchWrites(runDir, quick ? 0.05 : 1)
  process.stdout.write(table(["artifacts", "writer", "artifacts/s", "MB/s", "vs raw"], writes) + "\n\n")
  await NodeFs.rm(runDir, { recursive: true, force: true })
  if (args.includes("--writes")) return
  const counts = quick ? [2_000] : args.includes("--no-1m") ? [100_000] : [100_000, 1_000_000]
  const catalog: Array<Array<string>> = []
  for (const count of counts) catalog.push(...(await benchCatalog(count)))
  process.stdout.write(
    table(["artifacts", "catalog read", "time", "peak RSS MB", "peak heap+buffers MB"], catalog) + "\n"
  )
}
