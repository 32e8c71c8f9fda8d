import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import * as Wakeups from "../src/Wakeups.ts"

describe("Wakeups.fileSystem", () => {
  it.live("signals when a file appears anywhere under the watched folder", () =>
    Effect.gen(function* () {
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-sensor-watch-"))
      Fs.mkdirSync(Path.join(root, "hn", "1"), { recursive: true })
      const fiber = yield* Effect.forkChild(Wakeups.fileSystem(root).pipe(Stream.take(1), Stream.runCollect))
      // Writes until the watch (set up asynchronously) reports one.
      let n = 0
      while (fiber.pollUnsafe() === undefined) {
        Fs.writeFileSync(Path.join(root, "hn", "1", `item-${n++}.json`), "{}")
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      }
      const signals = yield* Fiber.join(fiber)
      assert.strictEqual(signals.length, 1)
    })
  )
})
