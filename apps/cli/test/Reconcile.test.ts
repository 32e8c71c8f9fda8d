/**
 * `medallion reconcile` as a process: an artifact stored without its index line (a crash between the
 * two, or a store switched from scan to index discovery) gets its line; a second run finds nothing. Its
 * progress goes to stderr.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Medallion from "./support/Medallion.ts"

describe("medallion reconcile", () => {
  it.live(
    "indexes what bronze holds without a line, once",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-reconcile-")
        const bronze = Path.join(dir, "data", "bronze")
        Fs.mkdirSync(Path.join(bronze, "hn", "8863"), { recursive: true })
        Fs.writeFileSync(Path.join(bronze, "hn", "8863", "item.json"), '{"id":8863}\n')
        const config = Medallion.writeJson(Path.join(dir, "medallion.json"), { bronze: { discovery: "index" } })
        const args = [...Medallion.flags(Path.join(dir, "data"), config), "reconcile"]

        const first = yield* Medallion.run({ args })
        assert.strictEqual(first.code, 0, first.output)
        assert.include(first.stdout, "checked 1 artifact(s): 1 index line(s) restored")
        // Off a terminal its progress is plain lines on stderr, the last one with the total the walk found.
        const progress = first.stderr.split("\n").filter((l) => l.startsWith("reconcile "))
        assert.strictEqual(
          progress.at(-1)?.replace(/, [\d.]+ artifacts\/s.*$/, ""),
          "reconcile 1/1 artifacts",
          first.stderr
        )
        const lines = Fs.readFileSync(Path.join(bronze, "_index.jsonl"), "utf8").trim().split("\n")
        assert.deepStrictEqual(
          lines.map((line) => JSON.parse(line).location),
          ["hn/8863/item.json"]
        )

        const second = yield* Medallion.run({ args })
        assert.include(second.stdout, "checked 1 artifact(s): 0 index line(s) restored")
      }),
    60_000
  )
})
