/**
 * Progress off a terminal (logs, CI, a pipe): a plain line per tenth with the rate and the ETA, each
 * part (a table) on its own, or every ten seconds while the total is unknown; no bar, no control characters.
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

  it.effect("while the total is unknown, a count and rate every ten seconds; then tenths again", () =>
    Effect.gen(function* () {
      const out = capture()
      const progress = Progress.make({ label: "reconcile", unit: "artifacts", stream: out.stream })
      for (let done = 0; done <= 250; done += 10)
        yield* progress.update({ done, total: undefined, elapsedMs: done * 100 })
      yield* progress.update({ done: 250, total: 250, elapsedMs: 25_000 })
      assert.deepStrictEqual(out.lines(), [
        "reconcile 0 artifacts, 0.0 artifacts/s",
        "reconcile 100 artifacts, 10.0 artifacts/s",
        "reconcile 200 artifacts, 10.0 artifacts/s",
        "reconcile 250/250 artifacts, 10.0 artifacts/s, ETA 0 s"
      ])
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
