import * as os from "node:os"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { ItemRepo } from "@medallion/silver"
import * as Extraction from "../../src/extract/Extraction.ts"
import { ExtractPool } from "../../src/extract/ExtractPool.ts"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import * as F from "./Fixtures.ts"
import { pathologicalPage } from "../../src/testing/PathologicalPage.ts"

const web = (url: string) => ({ sourceType: "web", externalId: url })

/** Fails with `what` unless `effect` ends within `seconds` (a generous bound, far past what it needs). */
const within =
  <A, E, R>(seconds: number, what: string) =>
  (effect: Effect.Effect<A, E, R>) =>
    Effect.timeoutOrElse(effect, {
      duration: `${seconds} seconds`,
      orElse: () => Effect.die(new Error(`not done within ${seconds} s: ${what}`))
    })

const putPage = (url: string, bytes: Uint8Array) =>
  BronzeWriter.use((writer) =>
    writer.put({ sourceType: "web", externalId: url, artifactType: "page", ext: "html" }, bytes)
  )

describe("ExtractPool", () => {
  it.live("without a thread count, it has one thread per CPU", () =>
    Effect.gen(function* () {
      const pool = yield* ExtractPool
      assert.strictEqual(pool.threads, os.availableParallelism())
    }).pipe(Effect.provide(ExtractPool.layer()))
  )

  layer(ExtractPool.layer({ threads: 1 }), { excludeTestServices: true })("one thread", (it) => {
    it.effect("a worker thread gives what the extractor gives in process", () =>
      Effect.gen(function* () {
        const pool = yield* ExtractPool
        const bytes = F.bytes("html/aclu.html")
        const extraction = Extraction.htmlArticle({ contentType: "text/html; charset=utf-8" })
        const there = yield* pool.run(extraction, bytes, "60 seconds")
        const here = yield* Extraction.inline(extraction, bytes)
        assert.deepStrictEqual(there, here)
        assert.isAbove(there.text.length, 300)
        const bad = yield* Effect.flip(pool.run(Extraction.hnItem, F.encode("{ not json"), "60 seconds"))
        assert.strictEqual(bad.kind, "invalid-json")
      })
    )

    it.effect(
      "a page over its budget fails with extract-timeout, the main thread keeps running, and the thread is replaced",
      () =>
        Effect.gen(function* () {
          const pool = yield* ExtractPool
          const extraction = Extraction.htmlArticle({})
          const running = yield* Effect.forkChild(Effect.flip(pool.run(extraction, pathologicalPage(), "3 seconds")))
          // The main thread is free while the page is parsed elsewhere: timers keep firing.
          let ticks = 0
          while (ticks < 5) {
            yield* Effect.sleep("50 millis")
            ticks++
          }
          assert.isUndefined(running.pollUnsafe(), "the extraction is still running while the main thread ticks")
          const error = yield* Fiber.join(running).pipe(
            within(60, "the extraction was not stopped at its budget of 3 s")
          )
          assert.strictEqual(error.kind, "extract-timeout")
          assert.match(error.reason, /^extract-timeout: the html-article extraction ran past its budget of 3s/)
          // One thread only: had the thread that ran over not been terminated, this would wait behind it.
          const after = yield* pool
            .run(extraction, F.bytes("html/aclu.html"), "60 seconds")
            .pipe(within(60, "the next extraction waits behind the thread that ran over: it was not terminated"))
          assert.isAbove(after.text.length, 300)
        }),
      180_000
    )
  })
})

describe("TransformJob with an ExtractPool", () => {
  it.live(
    "the pathological page is a failed item with reason extract-timeout; the rest of the batch goes on",
    () =>
      Effect.gen(function* () {
        yield* putPage("https://example.org/nested", pathologicalPage())
        yield* putPage("https://example.org/aclu", F.bytes("html/aclu.html"))
        yield* putPage("https://example.org/gmw", F.bytes("html/gmw.html"))
        const report = yield* TransformJob.runBatch(
          [web("https://example.org/nested"), web("https://example.org/aclu"), web("https://example.org/gmw")],
          { extractTimeout: "3 seconds" }
        ).pipe(within(90, "the batch did not end: the pathological page was not stopped at its budget"))
        assert.deepStrictEqual(
          report.failures.map((f) => f.item.externalId),
          ["https://example.org/nested"]
        )
        assert.match(report.failures[0]!.reason, /^failed: page\.html: extract-timeout: /)
        const repo = yield* ItemRepo
        const nested = yield* repo.get(web("https://example.org/nested"))
        assert.strictEqual(nested._tag, "Some")
        if (nested._tag === "Some") {
          assert.strictEqual(nested.value.item.transformStatus, "failed")
          assert.match(nested.value.item.transformError ?? "", /extract-timeout/)
        }
        const good = report.rows.filter((r) => r.outcome === "transformed").map((r) => r.key.externalId)
        assert.sameMembers(good, ["https://example.org/aclu", "https://example.org/gmw"])
      }).pipe(
        Effect.provide(Layer.mergeAll(MemoryBronze.layer, ItemRepo.layerTest, ExtractPool.layer({ threads: 2 })))
      ),
    180_000
  )
})
