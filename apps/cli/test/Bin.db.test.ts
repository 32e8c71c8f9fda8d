/**
 * The `medallion` bin as a user runs it right after `pnpm install`: the launcher `bin/medallion.js`
 * (the package's `bin`) and pnpm's shim for it in the root's `node_modules/.bin`, with no build. What a
 * script reads from `--json` is the JSON alone, with nothing before or after it on stdout.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"

const CLI = Path.resolve(import.meta.dirname, "..")
const LAUNCHER = Path.join(CLI, "bin", "medallion.js")
const SHIM = Path.resolve(CLI, "..", "..", "node_modules", ".bin", "medallion")

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `file args` (the launcher with node, the shim as it is) to its end. */
const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.callback<Result>((resume) => {
    const [command, argv] = file.endsWith(".js") ? [process.execPath, [file, ...args]] : [file, [...args]]
    const child = ChildProcess.spawn(command, argv, {
      // Only what a user's shell has: no vitest condition or loader leaks in through NODE_OPTIONS.
      env: {
        PATH: `${Path.dirname(process.execPath)}:${process.env["PATH"] ?? ""}`,
        HOME: process.env["HOME"] ?? "/tmp",
        ...env
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)))
    child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  })

describe("the medallion bin", () => {
  it("points at the launcher, which needs no build", () => {
    const manifest = JSON.parse(Fs.readFileSync(Path.join(CLI, "package.json"), "utf8")) as {
      bin: Record<string, string>
    }
    assert.strictEqual(Path.resolve(CLI, manifest.bin["medallion"]!), LAUNCHER)
    assert.isTrue(Fs.readFileSync(LAUNCHER, "utf8").startsWith("#!/usr/bin/env node\n"))
    assert.isTrue((Fs.statSync(LAUNCHER).mode & 0o111) !== 0, "the launcher is executable")
  })

  it.live(
    "--help through the launcher and through pnpm's shim",
    () =>
      Effect.gen(function* () {
        for (const file of [LAUNCHER, SHIM]) {
          const help = yield* run(file, ["--help"])
          assert.strictEqual(help.code, 0, `${file} --help:\n${help.stderr}`)
          assert.include(help.stdout, "USAGE")
          assert.include(help.stdout, "status")
        }
      }),
    120_000
  )

  it.live(
    "status --json prints only the JSON on stdout",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_bin")
        const dir = yield* Medallion.tempDir("medallion-bin-")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: Path.join(dir, "bronze") }
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const migrate = yield* run(LAUNCHER, ["--data-dir", dir, "--config", configFile, "migrate"], env)
        assert.strictEqual(migrate.code, 0, migrate.stderr)
        for (const file of [LAUNCHER, SHIM]) {
          const status = yield* run(file, ["--data-dir", dir, "--config", configFile, "status", "--json"], env)
          assert.strictEqual(status.code, 0, status.stderr)
          assert.strictEqual(status.stdout[0], "{", `stdout starts with the JSON:\n${status.stdout.slice(0, 300)}`)
          const report = JSON.parse(status.stdout) as { items: { total: number } }
          assert.strictEqual(report.items.total, 0)
        }
      }),
    240_000
  )
})
