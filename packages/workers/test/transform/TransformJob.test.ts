/**
 * The job as the bronze -> silver sensor runs it, on the layers users mock their own tests with: the
 * in-memory bronze store and silver's in-memory `ItemRepo`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { MemoryBronze } from "@medallion/bronze"
import { BronzeSensor } from "@medallion/sensors"
import { ItemRepo } from "@medallion/silver"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import * as F from "./Fixtures.ts"

const layers = Layer.mergeAll(MemoryBronze.layer, ItemRepo.layerTest)

describe("TransformJob", () => {
  it.effect("the fetch side's bookkeeping records (the spend ledger) are not items: no row, no failure", () =>
    Effect.gen(function* () {
      const report = yield* TransformJob.runBatch([{ sourceType: "spend", externalId: "transcription:2026-11-27" }])
      assert.deepStrictEqual(report.failures, [])
      assert.deepStrictEqual(report.rows, [])
      const counts = yield* (yield* ItemRepo).countByStatus()
      assert.deepStrictEqual(counts, [])
    }).pipe(Effect.provide(layers))
  )

  it.effect("a feed that does not parse is a failed row, not a failed run; once it parses the row is fetched", () =>
    Effect.gen(function* () {
      const feed = { sourceType: "feed", externalId: "_feed:https://example.org/feed.xml" }
      const repo = yield* ItemRepo
      const row = Effect.map(repo.get(feed), (detail) => Option.getOrThrow(detail).item)
      // Never transformed before and fine: no row at all (a folder that discovers is no item).
      yield* F.put(feed.sourceType, feed.externalId, "feed", "xml", F.bytes("feeds/narro.rss"))
      assert.deepStrictEqual((yield* TransformJob.runBatch([feed])).failures, [])
      assert.isTrue(Option.isNone(yield* repo.get(feed)))

      yield* F.put(
        feed.sourceType,
        feed.externalId,
        "feed@2026-11-27T05-00-00Z",
        "rss",
        F.bytes("feeds/unrecognized.rss")
      )
      const bad = yield* TransformJob.runBatch([feed])
      assert.deepStrictEqual(bad.failures, [], "the run succeeds: the failure is the feed's state")
      const failed = yield* row
      assert.deepStrictEqual([failed.fetchStatus, failed.transformStatus], ["failed", "transformed"])
      assert.match(failed.fetchError!, /^feed@2026-11-27T05-00-00Z\.rss: .*not a recognizable/)
      // The entries of the older good document are still listed.
      assert.isAbove(bad.rows[0]!.discovered.length, 0)

      yield* F.put(feed.sourceType, feed.externalId, "feed@2026-11-27T06-00-00Z", "xml", F.bytes("feeds/narro.rss"))
      assert.deepStrictEqual((yield* TransformJob.runBatch([feed])).failures, [])
      const fixed = yield* row
      assert.deepStrictEqual(
        [fixed.fetchStatus, fixed.fetchError, fixed.transformStatus],
        ["fetched", null, "transformed"]
      )
    }).pipe(Effect.provide(layers))
  )

  it.effect("an item that does not transform is logged as a warning with its key and reason", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      })
      yield* F.put("hn", "19155826", "item", "json", F.bytes("hn/19155826_story_handedited_invalid.json"))
      const report = yield* TransformJob.runBatch([{ sourceType: "hn", externalId: "19155826" }]).pipe(
        Effect.provide(Logger.layer([logger]))
      )
      assert.strictEqual(report.failures.length, 1)
      assert.deepStrictEqual(lines, [`transform of hn/19155826 failed: ${report.failures[0]!.reason}`])
      assert.match(lines[0]!, /^transform of hn\/19155826 failed: failed: item\.json: HN item: invalid JSON/)
    }).pipe(Effect.provide(layers))
  )

  it.effect("runs the microbatches a bronze -> silver sensor hands out, and reports what failed", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", F.threadComments())
      yield* F.put("hn", "19155826", "item", "json", F.bytes("hn/19155826_story_handedited_invalid.json"))
      yield* F.put("hn", "_lists", "topstories", "json", F.bytes("hn/topstories_ids_2023-08.json"))
      yield* F.put("web", "https://example.org/aclu", "page", "html", F.bytes("html/aclu.html"))

      const sensor = BronzeSensor.scan({ name: "bronze-to-silver", job: TransformJob.make(), batchSize: 2, settle: 0 })
      const evaluation = yield* sensor.evaluate(sensor.initial, { maxRuns: 10, now: 1_000_000_000 })
      assert.strictEqual(evaluation._tag, "Runs")
      const runs = evaluation._tag === "Runs" ? evaluation.runs : []
      assert.strictEqual(runs.length, 2, "4 items in batches of 2")

      const failures = []
      for (const run of runs) failures.push(...(yield* sensor.job.run(run.items)).failures)
      assert.deepStrictEqual(
        failures.map((f) => [f.item.externalId, f.reason.split(":")[0]]),
        [["19155826", "failed"]]
      )

      const repo = yield* ItemRepo
      const story = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "47336100" }))
      assert.strictEqual(story.comments.length, 26)
      const page = Option.getOrThrow(yield* repo.get({ sourceType: "web", externalId: "https://example.org/aclu" }))
      assert.strictEqual(page.item.author, F.expectedMetadata("aclu").byline)
      const pending = yield* repo.listByStatus({ sourceType: "hn", fetchStatus: "pending", limit: 1000 })
      assert.strictEqual(pending.length, new Set(F.json<Array<number>>("hn/topstories_ids_2023-08.json")).size)
      const failed = Option.getOrThrow(yield* repo.get({ sourceType: "hn", externalId: "19155826" }))
      assert.deepStrictEqual([failed.item.fetchStatus, failed.item.transformStatus], ["fetched", "failed"])
    }).pipe(Effect.provide(layers))
  )

  it.effect("an item silver cannot hold is reported; the rest of the batch is written", () =>
    Effect.gen(function* () {
      // bronze keeps ids up to 8 KB, silver up to 2,048 characters.
      const long = `https://example.org/${"a".repeat(3000)}`
      yield* F.put("web", long, "page", "html", F.bytes("html/ietf-1.html"))
      yield* F.put("web", "https://example.org/ietf", "page", "html", F.bytes("html/ietf-1.html"))
      const report = yield* TransformJob.runBatch([
        { sourceType: "web", externalId: long },
        { sourceType: "web", externalId: "https://example.org/ietf" }
      ])
      assert.deepStrictEqual(report.upserted, { inserted: 1, updated: 0, unchanged: 0 })
      assert.deepStrictEqual(
        report.failures.map((f) => [f.item.externalId.length, f.reason.split(":")[0]]),
        [[long.length, "invalid"]]
      )
    }).pipe(Effect.provide(layers))
  )
})
