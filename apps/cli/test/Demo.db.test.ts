/**
 * The offline demo as a user meets it: `pnpm medallion demo` in a terminal, stopped with Ctrl-C (SIGINT
 * to the whole process group, pnpm included) or by SIGTERM. It logs no warning of its own making, exits
 * 0 (so pnpm reports no failure) and closes with a summary of what it ingested.
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Medallion from "./support/Medallion.ts"

const ROOT = Path.resolve(import.meta.dirname, "..", "..", "..")
const LAUNCHER = Path.join(ROOT, "apps", "cli", "bin", "medallion.js")

interface Demo {
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly signal: (signal: NodeJS.Signals) => void
}

/** Starts `command args` in a process group of its own, as a terminal does; SIGKILLed if the test ends first. */
const start = (command: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync((): Demo => {
      const env: Record<string, string> = {}
      for (const [key, value] of Object.entries(process.env))
        if (value !== undefined && key !== "DATABASE_URL" && !key.startsWith("PG") && !key.startsWith("MEDALLION_"))
          env[key] = value
      const child = ChildProcess.spawn(command, args, {
        cwd: ROOT,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => (stdout += String(chunk)))
      child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)))
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("close", (code, signal) => resolve({ code, signal }))
      )
      let done = false
      void exited.then(() => (done = true))
      return {
        output: () => ({ stdout, stderr }),
        exited,
        signal: (signal) => {
          if (!done) process.kill(-child.pid!, signal)
        }
      }
    }),
    (demo) =>
      Effect.andThen(
        Effect.sync(() => demo.signal("SIGKILL")),
        Effect.promise(() => demo.exited)
      )
  )

/** Log lines at WARN or above, in the pretty format (`[12:00:00.000] WARN (#1): ...`). */
const warnings = (stderr: string) => stderr.split("\n").filter((l) => /^\[[\d:.]+\] (WARN|ERROR|FATAL) /.test(l))

describe("the demo", () => {
  it.live(
    "Ctrl-C: no warning of its own, exit 0 with no failure from pnpm, a closing summary",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-demo-")
        const demo = yield* start("pnpm", ["medallion", "--data-dir", dir, "demo"])
        yield* Medallion.within(
          "the demo's items in silver, the podcast transcribed",
          Effect.sync(() =>
            /silver holds 64 item\(s\) \(15 transformed, 2 transcribed\); 0 bronze/.test(demo.output().stderr)
          ),
          () => demo.output().stderr,
          "200 seconds"
        )
        demo.signal("SIGINT")
        const exit = yield* Effect.promise(() => demo.exited)
        const { stdout, stderr } = demo.output()
        assert.deepStrictEqual(exit, { code: 0, signal: null }, stderr)
        assert.notInclude(stderr, "ELIFECYCLE")
        assert.deepStrictEqual(warnings(stderr), [])
        const dataDir = Path.join(dir, "demo")
        assert.include(stdout, "demo stopped. What it ingested:")
        assert.include(stdout, "silver holds 64 item(s): hn 57, youtube 3, feed 2, reddit 2")
        assert.match(stdout, /\n +15 fetched +the content is in bronze \(hn 8, youtube 3, feed 2, reddit 2\)\n/)
        assert.match(stdout, /\n +15 transformed +rows derived [^\n]*\(hn 8, youtube 3, feed 2, reddit 2\)\n/)
        assert.include(stdout, "hn 49: listed, but beyond the source's limit of 8 item(s) (maxItems)")
        assert.match(stdout, /\n +2 transcribed +the transcript is in silver, searchable \(feed 2\)\n/)
        assert.include(stdout, `Its data stays in ${dataDir}`)
        assert.include(stdout, `pnpm exec medallion --data-dir ${dataDir} search country`)
      }),
    300_000
  )

  it.live(
    "SIGTERM: exit 0 and the summary, however early",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-demo-")
        const demo = yield* start(process.execPath, [LAUNCHER, "--data-dir", dir, "demo"])
        yield* Medallion.within(
          "the demo's first progress line",
          Effect.sync(() => demo.output().stderr.includes("demo: silver holds")),
          () => demo.output().stderr,
          "200 seconds"
        )
        demo.signal("SIGTERM")
        const exit = yield* Effect.promise(() => demo.exited)
        assert.deepStrictEqual(exit, { code: 0, signal: null }, demo.output().stderr)
        assert.include(demo.output().stdout, "demo stopped. What it ingested:")
      }),
    300_000
  )
})
