/**
 * Scale benchmark: the bronze -> silver sensor's tick (index vs scan) on generated trees of 100k and 1M
 * items, and end-to-end items/s through real transform daemons (in-process launcher, then the queue
 * launcher with 1, 2 and 4 daemons), each against a baseline measured in the same run. One table.
 *
 *   pnpm bench scale                                   100k and 1M ticks, 20k items end to end
 *   pnpm bench scale --quick                           2k ticks, 200 items end to end, 1 queue daemon (a smoke run)
 *   pnpm bench scale --items 100000,1000000 --e2e-items 50000 --daemons 1,2,4
 *   pnpm bench scale --no-e2e | --no-ticks             one half only
 *   pnpm bench scale --generate-only --items 1000000   write the tree(s) and stop
 *   DATABASE_URL=postgres://... pnpm bench scale       another server (a fresh database per row, dropped)
 *
 * Trees live under `.bench/scale/bronze-{items}` (gitignored), generated once (generate.ts) and reused.
 */
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import { Effect } from "effect"
import { ensureScaleTree, SCALE_ROOT, type ScaleTree } from "./generate.ts"
import { type EndToEndReport, type Launcher, measureEndToEnd } from "./scaleEndToEnd.ts"
import { type Measurement, measureTicks } from "./scaleSensor.ts"

const argValue = (args: ReadonlyArray<string>, name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const intList = (text: string, flag: string) =>
  text.split(",").map((part) => {
    const n = Number(part.trim().replace(/_/g, ""))
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} expects positive integers, got "${part}"`)
    return n
  })

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const size = (n: number) =>
  n >= 1_000_000 ? `${fmt(n / 1_000_000, n % 1_000_000 === 0 ? 0 : 1)}M` : `${fmt(n / 1000, n % 1000 === 0 ? 0 : 1)}k`
const setLabel = (tree: ScaleTree) => `${size(tree.items)} items (${fmt(tree.artifacts)} artifacts)`
const duration = (ms: number) => (ms < 1000 ? `${fmt(ms, 1)} ms` : `${fmt(ms / 1000, 2)} s`)

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |"
  return [line(header), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...rows.map(line)].join("\n")
}

const machine = () => {
  const cpus = NodeOs.cpus()
  // The filesystem holding the trees: the longest mount point that prefixes it.
  const mounts = NodeFs.readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter((parts) => parts.length > 2 && SCALE_ROOT.startsWith(parts[1]!))
    .sort((a, b) => b[1]!.length - a[1]!.length)
  const disk = mounts[0] ? `${mounts[0][2]} on ${mounts[0][0]}` : "unknown disk"
  return `${cpus[0]?.model.trim() ?? "cpu"}, ${cpus.length} cores, ${fmt(NodeOs.totalmem() / 2 ** 30)} GB RAM, ${disk}, Node ${process.version}`
}
const load = () =>
  NodeOs.loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")

const tickRows = (tree: ScaleTree, measurements: ReadonlyArray<Measurement>) =>
  measurements.map((m) => {
    const baseline = m.baseline === undefined ? undefined : measurements.find((b) => b.label === m.baseline)
    return [
      setLabel(tree),
      m.label,
      duration(m.ms),
      m.detail,
      baseline === undefined
        ? "1.00 (baseline)"
        : `${fmt(m.ms / baseline.ms, 2)} x ${baseline.label.includes("readdir") ? "walk" : "raw read"}`,
      fmt(m.peakRssMb)
    ]
  })

const endToEndRows = (tree: ScaleTree, report: EndToEndReport) => {
  const rows: Array<Array<string>> = []
  const copy = report.copy
  for (const row of report.rows) {
    const label = `${row.launcher.label}, ${row.launcher.daemons} daemon${row.launcher.daemons > 1 ? "s" : ""}`
    if (row.outcome._tag === "Unavailable") {
      rows.push([setLabel(tree), label, "-", `not measured: ${row.outcome.reason.slice(0, 160)}`, "-", "-"])
      continue
    }
    const o = row.outcome
    rows.push([
      setLabel(tree),
      label,
      `${fmt(o.seconds, 1)} s (first row at ${fmt(o.firstRowSeconds, 1)} s)`,
      `${fmt(o.itemsPerSecond)} items/s${o.failedItems > 0 ? `, ${fmt(o.failedItems)} failed items` : ""}`,
      copy === undefined ? "-" : `${fmt(o.itemsPerSecond / copy.itemsPerSecond, 3)} x COPY`,
      o.peakRssMb.map((m) => fmt(m)).join(", ")
    ])
  }
  if (copy !== undefined) {
    rows.push([
      setLabel(tree),
      `baseline: ${copy.how}`,
      "-",
      `${fmt(copy.itemsPerSecond)} items/s`,
      "1.00 (baseline)",
      "-"
    ])
  }
  // Dispatch overhead: the queue's extra time per item over the in-process launcher, one daemon each.
  const rate = (launcher: string) => {
    const row = report.rows.find((r) => r.launcher.label === launcher && r.launcher.daemons === 1)
    return row?.outcome._tag === "Done" ? row.outcome.itemsPerSecond : undefined
  }
  const inProcess = rate("in-process launcher")
  const queue = rate("queue launcher")
  if (inProcess !== undefined && queue !== undefined) {
    const ms = (1 / queue - 1 / inProcess) * 1000
    rows.push([
      setLabel(tree),
      "queue dispatch overhead (queue vs in-process, 1 daemon)",
      `${ms >= 0 ? "+" : ""}${fmt(ms, 2)} ms/item`,
      `${fmt(1000 / queue, 2)} vs ${fmt(1000 / inProcess, 2)} ms/item`,
      "-",
      "-"
    ])
  }
  return rows
}

export default async (args: ReadonlyArray<string>) => {
  const quick = args.includes("--quick")
  const sizes = intList(argValue(args, "--items") ?? (quick ? "2000" : "100000,1000000"), "--items")
  const log = (line: string) => process.stderr.write(line + "\n")

  if (args.includes("--generate-only")) {
    for (const items of sizes) {
      const tree = await ensureScaleTree(items, log)
      process.stdout.write(
        `${tree.root}: ${fmt(tree.items)} items, ${fmt(tree.artifacts)} artifacts, ${fmt(tree.bytes / 2 ** 20)} MB ` +
          `(index ${fmt(tree.indexBytes / 2 ** 20)} MB), generated in ${fmt(tree.seconds)} s\n`
      )
    }
    return
  }

  const e2eItems = Number(argValue(args, "--e2e-items") ?? (quick ? 200 : 20000))
  const daemons = intList(argValue(args, "--daemons") ?? (quick ? "1" : "1,2,4"), "--daemons")
  const settings = {
    maxRunsPerTick: Number(argValue(args, "--runs-per-tick") ?? 100),
    batchSize: Number(argValue(args, "--batch-size") ?? 50)
  }
  const startedAt = new Date()
  const loadBefore = load()
  log(`scale bench: ${machine()}; load average ${loadBefore}`)

  const rows: Array<Array<string>> = []
  if (!args.includes("--no-ticks")) {
    for (const items of sizes) {
      const tree = await ensureScaleTree(items, log)
      log(`sensor ticks on ${setLabel(tree)} ...`)
      rows.push(...tickRows(tree, await measureTicks(tree, settings)))
    }
  }
  let server = ""
  if (!args.includes("--no-e2e")) {
    const tree = await ensureScaleTree(e2eItems, log)
    const launchers: Array<Launcher> = [
      { label: "in-process launcher", runs: { launcher: "in-process" }, daemons: 1 },
      ...daemons.map((n) => ({ label: "queue launcher", runs: { launcher: "queue" }, daemons: n }))
    ]
    const report = await Effect.runPromise(
      measureEndToEnd({
        tree,
        launchers,
        sensors: { ...settings, interval: "1 second" },
        concurrency: 4,
        stallSeconds: 180,
        log
      })
    )
    server = report.server
    rows.push(...endToEndRows(tree, report))
  }

  process.stdout.write(
    `\nscale bench, ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${machine()}\n` +
      `command: pnpm bench scale ${args.join(" ")}\n` +
      `load average (1, 5, 15 min): ${loadBefore} at the start, ${load()} at the end\n` +
      `sensor: ${settings.maxRunsPerTick} runs per tick x ${settings.batchSize} items per run; evaluation only ` +
      `(the catalog part of a tick), median of 3 for index reads, 1 for walks\n` +
      (server === ""
        ? ""
        : `end to end: medallion transform processes, bronze discovery "index", runs.concurrency 4, ` +
          `sensors.interval 1 second, ${server}; items/s counted from the first silver row\n`) +
      "\n" +
      table(["set", "measurement", "time", "result", "vs baseline", "peak RSS MB"], rows) +
      "\n"
  )
}
