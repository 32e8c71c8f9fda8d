/**
 * Latency from a bronze write to the start of the run that processes it, in both discovery modes: the
 * real filesystem store, the bronze -> silver sensor with its defaults (30 s poll, 5 s settle window,
 * 1 s wake floor) and a filesystem wake-up, the in-memory state store and a job that only notes the time.
 * Writes land at random points between ticks. One table, p50 / p95 / max per row.
 *
 *   pnpm bench latency            20 writes per row
 *   pnpm bench latency --quick    3 writes per row, no in-place row
 *   pnpm bench latency --samples N
 */
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { BronzeWriter, FileSystemBronze, ItemKey } from "@medallion/bronze"
import { BronzeSensor, InProcessLauncher, Job, SensorRunner, SensorStore, Wakeups } from "@medallion/sensors"
import { Deferred, Effect, Layer } from "effect"

type Row = "index" | "scan" | "scan-in-place"

const LABELS: Record<Row, string> = {
  index: "index: bronze put",
  scan: "scan: bronze put (linked in whole: no settle wait)",
  "scan-in-place": "scan: a file written in place by another program (waits its 5 s settle window)"
}

const argValue = (args: ReadonlyArray<string>, name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const measure = (row: Row, samples: number) =>
  Effect.gen(function* () {
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "medallion-bench-latency-"))
    const started = new Map<string, Deferred.Deferred<number>>()
    const job = Job.make({
      name: "latency",
      item: ItemKey,
      run: (items: ReadonlyArray<ItemKey>) =>
        Effect.gen(function* () {
          const now = performance.now()
          for (const item of items) {
            const done = started.get(item.externalId)
            if (done) yield* Deferred.succeed(done, now)
          }
          return Job.succeeded
        })
    })
    const catalog = row === "index" ? "index" : "scan"
    const wake = Wakeups.fileSystem(root)
    const sensor =
      catalog === "index"
        ? BronzeSensor.index({ name: "latency", job, wake })
        : BronzeSensor.scan({ name: "latency", job, wake, reconcileEvery: null })
    const services = SensorRunner.layer([sensor]).pipe(
      Layer.provideMerge(InProcessLauncher.layer()),
      Layer.provideMerge(SensorStore.layerTest),
      Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog }))
    )
    const latencies = yield* Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const runner = yield* SensorRunner.SensorRunner
      yield* runner.tick("latency")
      const out: Array<number> = []
      for (let i = 0; i < samples; i++) {
        yield* Effect.sleep(Math.round(Math.random() * 1000) + 200)
        const id = String(i)
        const done = yield* Deferred.make<number>()
        started.set(id, done)
        const before = performance.now()
        if (row === "scan-in-place") {
          const dir = NodePath.join(root, "bench", id)
          NodeFs.mkdirSync(dir, { recursive: true })
          NodeFs.writeFileSync(NodePath.join(dir, "item.json"), "{}", { mode: 0o644 })
        } else {
          yield* writer.put(
            { sourceType: "bench", externalId: id, artifactType: "item", ext: "json" },
            new TextEncoder().encode("{}")
          )
        }
        out.push((yield* Deferred.await(done)) - before)
      }
      return out.sort((a, b) => a - b)
    }).pipe(Effect.provide(services), Effect.scoped)
    NodeFs.rmSync(root, { recursive: true, force: true })
    return latencies
  })

const ms = (n: number) => (n < 1000 ? `${n.toFixed(0)} ms` : `${(n / 1000).toFixed(2)} s`)

export default (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const quick = args.includes("--quick")
    const samples = Number(argValue(args, "--samples") ?? (quick ? 3 : 20))
    const rows: Array<Row> = quick ? ["index", "scan"] : ["index", "scan", "scan-in-place"]
    const lines: Array<Array<string>> = []
    for (const row of rows) {
      process.stderr.write(`latency: ${LABELS[row]} ...\n`)
      const sorted = yield* measure(row, samples)
      lines.push([
        LABELS[row],
        String(sorted.length),
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 95)),
        ms(sorted[sorted.length - 1]!)
      ])
    }
    const header = ["write -> run start", "n", "p50", "p95", "max"]
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
    const line = (cells: ReadonlyArray<string>) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |"
    const cpus = NodeOs.cpus()
    process.stdout.write(
      `\nlatency bench, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ` +
        `${cpus[0]?.model.trim() ?? "cpu"}, ${cpus.length} cores, Node ${process.version}, ` +
        `load average ${NodeOs.loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}\n` +
        `sensor defaults: poll 30 s, settle 5 s, wake floor 1 s; filesystem wake-up on the bronze root\n\n` +
        [line(header), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...lines.map(line)].join("\n") +
        "\n"
    )
  })
