import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { RunState } from "../src/index.ts"

const line = (id: string): RunState.ReportLine => ({
  table: "public.stories",
  key: { id },
  externalId: id,
  source: "hn",
  kind: "skipped",
  problem: "null-id",
  reason: "hn_id is NULL"
})

const folder = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-run-state-"))

describe("the state of a migration", () => {
  it.effect("a resumed pass cuts the report back to its checkpoint: lines written after it are not kept twice", () =>
    Effect.gen(function* () {
      const dir = folder()
      const opened = yield* RunState.open(dir, "digest", 1, false)
      const covered = yield* RunState.appendReport(dir, [line("1")])
      yield* RunState.save(dir, { ...opened.checkpoint, after: ["5"], reportBytes: covered })
      // A crash between appending the next group's lines and saving its checkpoint.
      yield* RunState.appendReport(dir, [line("7")])
      const resumed = yield* RunState.open(dir, "digest", 2, false)
      assert.isTrue(resumed.resumed)
      assert.deepStrictEqual(resumed.checkpoint.after, ["5"])
      assert.deepStrictEqual(
        (yield* RunState.readReport(dir)).map((l) => l.key["id"]),
        ["1"]
      )
    })
  )

  it.effect("a finished pass, another mapping, or --restart start a new pass with an empty report", () =>
    Effect.gen(function* () {
      const dir = folder()
      const first = yield* RunState.open(dir, "digest", 1, false)
      yield* RunState.appendReport(dir, [line("1")])
      yield* RunState.save(dir, { ...first.checkpoint, complete: true })
      const second = yield* RunState.open(dir, "digest", 2, false)
      assert.isFalse(second.resumed)
      assert.strictEqual(second.checkpoint.pass, 2)
      assert.deepStrictEqual(yield* RunState.readReport(dir), [])
      yield* RunState.save(dir, { ...second.checkpoint, after: ["3"] })
      const restarted = yield* RunState.open(dir, "digest", 3, true)
      assert.isFalse(restarted.resumed)
      assert.strictEqual(restarted.checkpoint.pass, 3)
      const other = yield* RunState.open(dir, "another digest", 4, false)
      assert.strictEqual(other.checkpoint.pass, 1)
      assert.strictEqual(other.checkpoint.after, null)
    })
  )
})
