/**
 * `pnpm bench:smoke`: every benchmark once in its quick mode, each in its own process, so that none
 * rots unnoticed (a moved fixture, a renamed API). Prints each bench's output, then one table of exit
 * codes and times; exits 1 when any bench failed. No thresholds: the figures of a quick run mean nothing.
 */
import { spawn } from "node:child_process"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { BENCHES, type BenchName } from "./Benches.ts"

const MAIN = NodePath.join(import.meta.dirname, "main.ts")

const run = (name: BenchName): Promise<{ readonly code: number; readonly seconds: number }> =>
  new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, ["--conditions=@medallion/source", MAIN, name, "--quick"], {
      stdio: "inherit"
    })
    const done = (code: number) => resolve({ code, seconds: (performance.now() - started) / 1000 })
    child.on("error", () => done(127))
    child.on("exit", (code, signal) => done(code ?? (signal === null ? 1 : 128)))
  })

const only = process.argv.slice(2)
const rows: Array<[string, string, string]> = []
let failed = 0
const started = performance.now()
for (const name of Object.keys(BENCHES) as Array<BenchName>) {
  if (only.length > 0 && !only.includes(name)) continue
  process.stdout.write(`\n=== bench smoke: pnpm bench ${name} --quick\n`)
  const { code, seconds } = await run(name)
  if (code !== 0) failed++
  rows.push([name, code === 0 ? "ok" : `FAILED (exit ${code})`, `${seconds.toFixed(1)} s`])
}
const widths = [5, 6, 4].map((w, i) => Math.max(w, ...rows.map((r) => r[i]!.length)))
const line = (cells: ReadonlyArray<string>) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |"
process.stdout.write(
  `\nbench smoke: ${rows.length - failed} of ${rows.length} ok in ${((performance.now() - started) / 1000).toFixed(1)} s\n` +
    [
      line(["bench", "result", "time"]),
      "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |",
      ...rows.map(line)
    ].join("\n") +
    "\n"
)
process.exit(failed === 0 ? 0 : 1)
