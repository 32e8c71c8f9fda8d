/**
 * One exit-code contract for every command, checked on real `medallion` processes against a real
 * database: 0 done, 1 failed, 2 usage or configuration error, 3 not found. Steering a sensor nobody
 * knows is refused (it used to create a paused phantom sensor).
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Cause, Effect, Exit, Redacted } from "effect"
import { CliError } from "effect/cli"
import * as ExitCode from "../src/ExitCode.ts"
import { MedallionConfig } from "@medallion/workers/config"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

describe("ExitCode.of", () => {
  it("maps how a command ended to its code", () => {
    assert.strictEqual(ExitCode.of(Exit.void), 0)
    assert.strictEqual(ExitCode.of(Exit.fail(new Error("the database is gone"))), 1)
    assert.strictEqual(ExitCode.of(Exit.fail(new ExitCode.Refused({ message: "owned" }))), 1)
    assert.strictEqual(ExitCode.of(Exit.die("a defect")), 1)
    assert.strictEqual(ExitCode.of(Exit.fail(new MedallionConfig.ConfigFileError({ file: "f", message: "bad" }))), 2)
    const unknownFlag = new CliError.UnrecognizedOption({ option: "--nope", suggestions: [] })
    assert.strictEqual(
      ExitCode.of(Exit.fail(new CliError.ShowHelp({ commandPath: ["medallion"], errors: [unknownFlag] }))),
      2
    )
    assert.strictEqual(ExitCode.of(Exit.fail(new CliError.ShowHelp({ commandPath: ["medallion"], errors: [] }))), 0)
    assert.strictEqual(ExitCode.of(Exit.fail(new ExitCode.NotFound({ message: "no item" }))), 3)
    assert.strictEqual(ExitCode.of(Exit.failCause(Cause.interrupt())), 130)
  })
})

describe("the medallion command's exit codes", () => {
  it.live(
    "0 done, 2 usage or configuration error, 3 an item, run or sensor that does not exist; no phantom sensor",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_exit")
        const dir = yield* Medallion.tempDir("medallion-exit-")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: Path.join(dir, "bronze") }
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const medallion = (...args: ReadonlyArray<string>) =>
          Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), configFile), ...args], env })
        const expect = (code: number, ...args: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            const result = yield* medallion(...args)
            assert.strictEqual(result.code, code, `medallion ${args.join(" ")}:\n${result.output}`)
            return result
          })

        const missing = yield* expect(3, "show", "hn", "424242")
        assert.include(missing.stderr, "medallion: no item hn/424242 in silver")
        assert.notInclude(missing.stderr, "    at ", "a stack trace for a name that does not exist")
        const run = yield* expect(3, "retry", "--run", "no-such-run")
        assert.include(run.stderr, "no run no-such-run of sensor bronze-to-silver")
        for (const args of [
          ["pause", "ghost"],
          ["resume", "ghost"],
          ["reset", "ghost", "--yes"]
        ]) {
          const sensor = yield* expect(3, "sensors", ...args)
          assert.include(sensor.stderr, "no sensor named ghost (the sensors are: bronze-to-silver, gold.daily_counts)")
        }
        const sql = yield* Silver.connect(database.url)
        const phantoms = yield* sql<{ sensor: string }>`select sensor from sensor_state where sensor = 'ghost'`
        assert.deepStrictEqual(phantoms, [])

        // A sensor the transform daemon runs is known before it ever ticked.
        yield* expect(0, "sensors", "pause", "bronze-to-silver")
        const paused = yield* sql<{
          paused: boolean
        }>`select paused from sensor_state where sensor = 'bronze-to-silver'`
        assert.deepStrictEqual(paused, [{ paused: true }])
        yield* expect(0, "sensors", "resume", "bronze-to-silver")
        yield* expect(0, "retry")
        yield* expect(0, "--help")

        // Usage errors: a missing argument, an unknown command, an unknown flag.
        yield* expect(2, "show", "hn")
        yield* expect(2, "frobnicate")
        yield* expect(2, "status", "--no-such-flag")
        // A configuration error.
        const bad = Medallion.writeJson(Path.join(dir, "bad.json"), { sensors: { batchSize: 0 } })
        const config = yield* Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), bad), "status"], env })
        assert.strictEqual(config.code, 2, config.output)
        assert.include(config.stderr, "at sensors.batchSize")
      }),
    240_000
  )
})
