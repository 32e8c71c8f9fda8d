/**
 * `LegacyRun.run` as a child process, for the crash test: the legacy URL, bronze folder, state folder
 * and mapping come from the environment; `CHILD_MAX_ROWS_PER_SECOND` slows it down so that the test can
 * kill it mid-run. Prints `DONE` and the report's totals when it finishes.
 */
import { NodeRuntime } from "@effect/platform-node"
import { FileSystemBronze } from "@medallion/bronze"
import { Effect, Layer, Redacted } from "effect"
import { LegacyDatabase, LegacyRun, Mapping } from "../../src/index.ts"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const program = Effect.gen(function* () {
  const mapping = yield* Mapping.parse("child mapping", env("CHILD_MAPPING"))
  const rate = process.env["CHILD_MAX_ROWS_PER_SECOND"]
  const report = yield* LegacyRun.run({
    mapping,
    stateDir: env("CHILD_STATE_DIR"),
    checkpointRows: 3,
    concurrency: 4,
    ...(rate === undefined ? {} : { maxRowsPerSecond: Number(rate) })
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        LegacyDatabase.layer({ url: Redacted.make(env("CHILD_LEGACY_URL")) }),
        FileSystemBronze.layerWith({ root: env("CHILD_BRONZE_ROOT"), catalog: "scan" })
      )
    )
  )
  yield* Effect.sync(() =>
    process.stdout.write(`DONE ${JSON.stringify({ resumed: report.resumed, totals: report.totals })}\n`)
  )
})

NodeRuntime.runMain(program)
