/**
 * An operator command on a data dir that holds no installation says so (the folder it looked at, how
 * to start one, `--data-dir`) and exits 2, creating nothing: it used to create and migrate an empty
 * embedded database and report zeros without a word. Real `medallion` processes on empty folders.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BIN } from "./support/Medallion.ts"

const medallion = (cwd: string, args: ReadonlyArray<string>) => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && key !== "DATABASE_URL" && !key.startsWith("MEDALLION_")) env[key] = value
  return ChildProcess.spawnSync(process.execPath, ["--conditions=@medallion/source", BIN, ...args], {
    cwd,
    encoding: "utf8",
    env
  })
}

describe("an operator command on a data dir with no installation", () => {
  for (const args of [
    ["status"],
    ["status", "--json"],
    ["show", "hn", "1"],
    ["search", "anything"],
    ["retry"],
    ["backfill", "--dry-run"],
    ["sensors", "list"],
    ["sensors", "reset", "bronze-to-silver", "--yes"],
    ["purge", "--source", "hn", "--id", "1", "--reason", "takedown"],
    ["unpurge", "--source", "hn", "--id", "1", "--reason", "licensed again"]
  ]) {
    it(`medallion ${args.join(" ")} says so, exits 2 and creates nothing`, () => {
      const cwd = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-none-"))
      try {
        const result = medallion(cwd, args)
        const output = `${result.stdout}\n${result.stderr}`
        assert.strictEqual(result.status, 2, output)
        assert.include(result.stderr, `no installation in ${Path.join(Fs.realpathSync(cwd), "data")}`)
        assert.include(result.stderr, "medallion start")
        assert.include(result.stderr, "--data-dir")
        assert.strictEqual(result.stdout, "", "nothing on stdout: a script reading it sees no report")
        assert.deepStrictEqual(Fs.readdirSync(cwd), [], "the command created something")
      } finally {
        Fs.rmSync(cwd, { recursive: true, force: true })
      }
    })
  }
})
