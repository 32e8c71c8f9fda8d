/**
 * kill -9 in the middle of a run, then a second run: it resumes after the last checkpoint, and bronze
 * ends byte for byte as an uninterrupted run leaves it (the rows between the checkpoint and the crash
 * are written again and found already stored), with each bad row reported once.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { FileSystemBronze } from "@medallion/bronze"
import { ChildScript, TestDatabase } from "@medallion/silver/testing"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Clock, Effect, Layer, Option, Redacted } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { LegacyDatabase, LegacyRun, Mapping, RunState } from "../src/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"

const CHILD = Path.join(import.meta.dirname, "child", "run.ts")

/** Every artifact file under `root` (temporary files left by the kill are hidden and not listed) with its sha256. */
const tree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue
      const path = Path.join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else out[Path.relative(root, path)] = Crypto.createHash("sha256").update(Fs.readFileSync(path)).digest("hex")
    }
  }
  walk(root)
  return out
}

/** Polls `check` until it holds, failing with `what` after `ms`. */
const until = <E, R>(what: () => string, check: Effect.Effect<boolean, E, R>, ms = 90_000) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + ms
    while (!(yield* check)) {
      if ((yield* Clock.currentTimeMillis) > deadline)
        return yield* Effect.die(new Error(`timed out waiting: ${what()}`))
      yield* Effect.sleep("50 millis")
    }
  })

describe("a run killed with SIGKILL", () => {
  it.live(
    "resumes after its last checkpoint and leaves bronze exactly as an uninterrupted run",
    () =>
      Effect.gen(function* () {
        const db = yield* TestDatabase.makeDatabase("medallion_legacy_crash")
        const legacy = yield* PgClient.make({ url: db.url, maxConnections: 2 }).pipe(Effect.provide(Reactivity.layer))
        yield* LegacyFixture.create(legacy)
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-migrate-crash-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
        const mapping = yield* Mapping.decode("fixture", LegacyFixture.mapping)
        const stateDir = RunState.dirFor(Path.join(root, "data"), mapping.digest)
        const env = {
          CHILD_LEGACY_URL: Redacted.value(db.url),
          CHILD_BRONZE_ROOT: Path.join(root, "bronze"),
          CHILD_STATE_DIR: stateDir,
          CHILD_MAPPING: JSON.stringify(LegacyFixture.mapping)
        }
        const checkpoint = RunState.readCheckpoint(stateDir)

        // 1. A slow run, killed once its checkpoint has passed a dozen rows.
        const first = yield* ChildScript.spawn(CHILD, { ...env, CHILD_MAX_ROWS_PER_SECOND: "8" })
        yield* until(
          () => first.output(),
          Effect.map(checkpoint, (c) => Option.isSome(c) && c.value.totals.rows >= 12)
        )
        yield* first.kill
        const killed = Option.getOrThrow(yield* checkpoint)
        assert.isFalse(killed.complete)
        assert.notInclude(first.output(), "DONE")
        assert.isBelow(killed.totals.rows, 41)

        // 2. The next run resumes and finishes.
        const second = yield* ChildScript.spawn(CHILD, env)
        yield* until(
          () => second.output(),
          Effect.sync(() => second.output().includes("DONE"))
        )
        yield* Effect.promise(() => second.exited)
        const done = JSON.parse(second.output().split("DONE ")[1]!.trim()) as {
          resumed: boolean
          totals: RunState.Totals
        }
        assert.isTrue(done.resumed)
        assert.strictEqual(done.totals.rows, 41)
        assert.strictEqual(done.totals.skipped, 2)
        const finished = Option.getOrThrow(yield* checkpoint)
        assert.isTrue(finished.complete)
        assert.strictEqual(finished.pass, killed.pass)
        const report = yield* RunState.readReport(stateDir)
        assert.deepStrictEqual(
          report.map((l) => `${l.kind} ${l.key["id"]}`),
          ["skipped 27", "skipped 28", "flagged 29", "flagged 30", "flagged 31", "flagged 32"]
        )

        // 3. The same bronze as one uninterrupted run into another folder.
        const reference = Path.join(root, "reference")
        yield* LegacyRun.run({ mapping, stateDir: Path.join(root, "reference-state") }).pipe(
          Effect.provide(
            Layer.mergeAll(
              LegacyDatabase.layer({ url: db.url }),
              FileSystemBronze.layerWith({ root: reference, catalog: "scan" })
            )
          )
        )
        const resumed = tree(env.CHILD_BRONZE_ROOT)
        assert.deepStrictEqual(resumed, tree(reference))
        assert.isAbove(Object.keys(resumed).length, 100)
      }).pipe(Effect.scoped),
    180_000
  )
})
