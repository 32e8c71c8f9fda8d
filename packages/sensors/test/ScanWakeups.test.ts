/**
 * Scan-mode latency: the runner and the scan sensor on the real filesystem store, on the test clock. A
 * tick that meets an artifact inside its settle window re-arms itself for the moment it settles (instead
 * of leaving it to the next poll), and artifacts the store linked into place whole need no settle at all.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze, ItemKey } from "@medallion/bronze"
import { Clock, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as BronzeSensor from "../src/BronzeSensor.ts"
import * as InProcessLauncher from "../src/InProcessLauncher.ts"
import * as Job from "../src/Job.ts"
import * as SensorRunner from "../src/SensorRunner.ts"
import { SensorStore } from "../src/SensorStore.ts"

const T0 = 1_800_000_000_000
const SETTLE_MS = 5_000

interface Processed {
  readonly id: string
  readonly at: number
}

const harness = (root: string, processed: Array<Processed>) => {
  const job = Job.make({
    name: "record",
    item: ItemKey,
    run: (items: ReadonlyArray<ItemKey>) =>
      Effect.gen(function* () {
        const at = yield* Clock.currentTimeMillis
        for (const item of items) processed.push({ id: item.externalId, at })
        return Job.succeeded
      })
  })
  // The poll is 30 s (jittered, so never under 24 s): everything below happens well before it.
  const sensor = BronzeSensor.scan({ name: "bronze", job, settle: SETTLE_MS, reconcileEvery: null })
  return SensorRunner.layer([sensor], { owner: "test" }).pipe(
    Layer.provideMerge(InProcessLauncher.layer({ retryBase: "10 millis" })),
    Layer.provideMerge(SensorStore.layerTest),
    Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" }))
  )
}

/** The statuses of the ticks so far, oldest first. */
const ticks = SensorStore.use((store) => store.recentTicks("bronze", 100)).pipe(
  Effect.map((all) => [...all].reverse().map((t) => t.status))
)

/**
 * Lets real filesystem work finish (the test clock stands still meanwhile) until `done` holds, or gives
 * up after a while; the assertions after it say what was missing.
 */
const until = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400 && !done(); i++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      yield* Effect.yieldNow
    }
  })

/** Waits until `n` ticks have finished. */
const untilTicks = (n: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400; i++) {
      if ((yield* ticks).filter((status) => status !== "started").length >= n) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
  })

/** Another program writes a file straight into the tree (writable, stamped now on the test clock). */
const writeInPlace = (root: string, id: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const dir = Path.join(root, "hn", id)
    Fs.mkdirSync(dir, { recursive: true })
    const file = Path.join(dir, "item.json")
    Fs.writeFileSync(file, JSON.stringify({ id }), { mode: 0o644 })
    Fs.utimesSync(file, now / 1000, now / 1000)
  })

describe("scan-mode wake-ups (filesystem store, test clock)", () => {
  it.effect("a file still inside its settle window is processed when it settles, not at the next poll", () => {
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-scan-wake-"))
    const processed: Array<Processed> = []
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      yield* writeInPlace(root, "theirs")
      yield* Effect.gen(function* () {
        // The first tick sees the file, too fresh to trust: it skips it and names its settle deadline.
        yield* untilTicks(1)
        assert.deepStrictEqual(yield* ticks, ["skipped"])
        assert.deepStrictEqual(processed, [])
        // At the deadline the runner ticks by itself: the poll is 24-36 s away.
        yield* TestClock.adjust(SETTLE_MS)
        yield* until(() => processed.length > 0)
        assert.deepStrictEqual(processed, [{ id: "theirs", at: T0 + SETTLE_MS }])
        assert.deepStrictEqual(yield* ticks, ["skipped", "success"])
      }).pipe(Effect.provide(harness(root, processed)))
    })
  })

  it.effect("an artifact the store linked into place is handed out at once, and only once", () => {
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-scan-wake-"))
    const processed: Array<Processed> = []
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function* () {
        const writer = yield* BronzeWriter
        const runner = yield* SensorRunner.SensorRunner
        yield* untilTicks(1)
        assert.deepStrictEqual(yield* ticks, ["skipped"])
        yield* TestClock.adjust(1_000)
        yield* writer.put(
          { sourceType: "hn", externalId: "mine", artifactType: "item", ext: "json" },
          new Uint8Array([123, 125])
        )
        // The wake-up a filesystem watch gives: the tick requests it, though it is 0 ms old.
        const woken = yield* runner.tick("bronze")
        assert.deepStrictEqual(woken.causes, ["request"])
        assert.strictEqual(woken.status, "success")
        yield* until(() => processed.length > 0)
        assert.deepStrictEqual(processed, [{ id: "mine", at: T0 + 1_000 }])
        // Once it settles, the cursor passes it (the tick the runner arms for that) without a second run.
        yield* TestClock.adjust(SETTLE_MS)
        yield* untilTicks(3)
        assert.deepStrictEqual(yield* ticks, ["skipped", "success", "skipped"])
        assert.deepStrictEqual((yield* runner.status("bronze")).frontier, {
          ...BronzeSensor.initialScan,
          mtimeMs: T0 + 1_000,
          seen: ["hn/mine/item.json"],
          lastReconcileAt: T0
        })
        assert.strictEqual(processed.length, 1)
      }).pipe(Effect.provide(harness(root, processed)))
    })
  })
})
