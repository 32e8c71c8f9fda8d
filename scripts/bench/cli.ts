/**
 * The start-up of `medallion`: CPU time and modules loaded by `--help`, a command's `--help`, and an
 * operator command, against `node -e 0` in the same run.
 *
 *   pnpm bench cli           10 runs of each
 *   pnpm bench cli --quick   3 runs of each
 *
 * CPU time is the process's own (user + system, `process.cpuUsage()` at exit), the median of the runs;
 * modules are counted once per command by a load hook (`apps/cli/test/support/LoadedModules.ts`).
 * The operator command is `status` next to a running daemon: the bench starts the data dir's embedded
 * server as a daemon does and keeps it up, so each `status` attaches to it (loads its code, migrates,
 * reports); `status` on a data dir with no installation stops at the check, before the command's code.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { Effect, Exit, Scope } from "effect"

const REPO = Path.resolve(import.meta.dirname, "..", "..")
const BIN = Path.join(REPO, "apps", "cli", "src", "bin.ts")
const RECORDER = Path.join(REPO, "apps", "cli", "test", "support", "LoadedModules.ts")
/** Plain JavaScript, so measuring costs the measured process nothing it would not pay anyway. */
const CPU_REPORTER =
  "data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();" +
  "process.getBuiltinModule('node:fs').writeFileSync(process.env.MEDALLION_BENCH_CPU,String(u.user+u.system))})"

interface Case {
  readonly name: string
  readonly args: ReadonlyArray<string>
}

const medallion = (...args: ReadonlyArray<string>) => ["--conditions=@medallion/source", BIN, ...args]

const runOnce = (args: ReadonlyArray<string>, preload: string, env: Record<string, string>) => {
  const result = ChildProcess.spawnSync(process.execPath, ["--import", preload, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    cwd: env["MEDALLION_BENCH_CWD"] ?? REPO
  })
  if (result.error) throw result.error
  return result
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export default async (args: ReadonlyArray<string>) => {
  const quick = args.includes("--quick")
  const runs = quick ? 3 : 10
  const scratch = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-bench-cli-"))
  const empty = Path.join(scratch, "nothing-installed")
  const installed = Path.join(scratch, "data")
  // The server a running daemon would hold; `status` attaches to it.
  const daemon = await Effect.runPromise(Scope.make())
  await Effect.runPromise(
    EmbeddedPostgres.start({ dataDir: Path.join(installed, "postgres") }).pipe(Scope.provide(daemon))
  )
  const cases: ReadonlyArray<Case> = [
    { name: "node -e 0", args: ["-e", "0"] },
    { name: "medallion --help", args: medallion("--help") },
    { name: "medallion status --help", args: medallion("status", "--help") },
    { name: "medallion status (no installation)", args: medallion("--data-dir", empty, "status") },
    { name: "medallion status (next to a running daemon)", args: medallion("--data-dir", installed, "status") }
  ]
  const rows: Array<{ name: string; cpuMs: number; modules: number }> = []
  try {
    for (const c of cases) {
      const cpuFile = Path.join(scratch, "cpu")
      const samples: Array<number> = []
      for (let i = 0; i < runs; i++) {
        runOnce(c.args, CPU_REPORTER, { MEDALLION_BENCH_CPU: cpuFile, MEDALLION_BENCH_CWD: scratch })
        samples.push(Number(Fs.readFileSync(cpuFile, "utf8")) / 1000)
      }
      const modulesFile = Path.join(scratch, "modules")
      runOnce(c.args, RECORDER, { MEDALLION_LOADED_MODULES: modulesFile, MEDALLION_BENCH_CWD: scratch })
      const modules = Fs.readFileSync(modulesFile, "utf8")
        .split("\n")
        .filter((line) => line !== "")
      // The recorder itself is not part of what the command loads.
      rows.push({
        name: c.name,
        cpuMs: median(samples),
        modules: modules.filter((u) => u !== `file://${RECORDER}`).length
      })
    }
  } finally {
    await Effect.runPromise(Scope.close(daemon, Exit.void))
    Fs.rmSync(scratch, { recursive: true, force: true })
  }
  const base = rows[0]!
  const out: Array<string> = []
  out.push(
    `medallion start-up: median of ${runs} runs each${quick ? " (quick)" : ""}, node ${process.version}, ${Os.cpus().length} CPU(s), load ${Os.loadavg()[0]!.toFixed(1)}`
  )
  out.push("")
  out.push("| command | CPU (user+sys) | x node -e 0 | modules loaded |")
  out.push("|---|---|---|---|")
  for (const row of rows) {
    out.push(
      `| \`${row.name}\` | ${row.cpuMs.toFixed(0)} ms | ${(row.cpuMs / base.cpuMs).toFixed(1)}x | ${row.modules} |`
    )
  }
  process.stdout.write(out.join("\n") + "\n")
}
