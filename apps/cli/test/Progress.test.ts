/**
 * Progress off a terminal (logs, CI, a pipe): a plain line per tenth with the rate and the ETA, each
 * part (a table) on its own; no bar, no control characters.
 */
import { PassThrough } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Progress from "../src/Progress.ts"

const capture = () => {
  const stream = new PassThrough()
  let text = ""
  stream.on("data", (chunk: Buffer) => (text += String(chunk)))
  return { stream: stream as unknown as NodeJS.WriteStream, lines: () => text.split("\n").filter((l) => l !== "") }
}

describe("Progress off a terminal", () => {
  it.effect("a line per tenth, with rate, counts and ETA", () =>
    Effect.gen(function* () {
      const out = capture()
      const progress = Progress.make({ label: "backfill", unit: "items", stream: out.stream })
      for (let done = 0; done <= 200; done++)
        yield* progress.update({ done, total: 200, elapsedMs: done * 100, counts: { failed: Math.floor(done / 50) } })
      yield* progress.stop
      const lines = out.lines()
      assert.strictEqual(lines.length, 11, lines.join("\n"))
      assert.strictEqual(lines[0], "backfill 0/200 items, 0.0 items/s, failed 0")
      assert.strictEqual(lines[5], "backfill 100/200 items, 10.0 items/s, failed 2, ETA 10 s")
      assert.strictEqual(lines[10], "backfill 200/200 items, 10.0 items/s, failed 4, ETA 0 s")
      assert.isTrue(
        lines.every((l) => !/[\u001b\r]/.test(l)),
        "no terminal control characters"
      )
    })
  )

  it.effect("each part counts its own tenths", () =>
    Effect.gen(function* () {
      const out = capture()
      const progress = Progress.make({ label: "run", unit: "rows", stream: out.stream })
      for (const part of ["stories", "comments"])
        for (const done of [0, 5, 10]) yield* progress.update({ part, done, total: 10, elapsedMs: 1000 })
      assert.deepStrictEqual(out.lines(), [
        "run stories: 0/10 rows, 0.0 rows/s",
        "run stories: 5/10 rows, 5.0 rows/s, ETA 1 s",
        "run stories: 10/10 rows, 10.0 rows/s, ETA 0 s",
        "run comments: 0/10 rows, 0.0 rows/s",
        "run comments: 5/10 rows, 5.0 rows/s, ETA 1 s",
        "run comments: 10/10 rows, 10.0 rows/s, ETA 0 s"
      ])
    })
  )
})
