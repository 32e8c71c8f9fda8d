/**
 * Backfill over the in-memory bronze store: every distinct item once, the filters, a dry run that
 * runs nothing, progress reported per batch, and item failures collected.
 */
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, type ItemKey, ItemKey as ItemKeySchema, MemoryBronze } from "@medallion/bronze"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Backfill from "../src/Backfill.ts"
import * as Job from "../src/Job.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

const seed = Effect.gen(function* () {
  const writer = yield* BronzeWriter
  const put = (sourceType: string, externalId: string, artifactType: string) =>
    writer.put(
      { sourceType, externalId, artifactType, ext: "json" },
      bytes(`${sourceType}/${externalId}/${artifactType}`)
    )
  yield* put("hn", "1", "item")
  yield* put("hn", "1", "comments")
  yield* put("hn", "2", "item")
  yield* TestClock.adjust("1 hour")
  yield* put("feed", "a", "entry")
  yield* put("hn", "3", "item")
})

const recordingJob = (seen: Array<ItemKey>, failing: ReadonlySet<string> = new Set()) =>
  Job.make({
    name: "record",
    item: ItemKeySchema,
    run: (items) =>
      Effect.sync(() => {
        seen.push(...items)
        return {
          failures: items.filter((i) => failing.has(i.externalId)).map((item) => ({ item, reason: "bad input" }))
        }
      })
  })

describe("Backfill", () => {
  it.effect("runs the job once per distinct item, in batches, reporting progress and failures", () =>
    Effect.gen(function* () {
      yield* seed
      const seen: Array<ItemKey> = []
      const progress: Array<number> = []
      const report = yield* Backfill.run({
        job: recordingJob(seen, new Set(["2"])),
        batchSize: 2,
        onProgress: (p) => Effect.sync(() => void progress.push(p.done))
      })
      assert.deepStrictEqual(
        seen.map((i) => `${i.sourceType}/${i.externalId}`).sort(),
        ["feed/a", "hn/1", "hn/2", "hn/3"],
        "hn/1 has two artifacts but is run once"
      )
      assert.deepStrictEqual(report.bySource, { hn: 3, feed: 1 })
      assert.deepStrictEqual(progress, [0, 2, 4])
      assert.deepStrictEqual(
        report.failed.map((f) => f.item.externalId),
        ["2"]
      )
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("filters by source and by write time; a dry run counts and runs nothing", () =>
    Effect.gen(function* () {
      yield* seed
      const seen: Array<ItemKey> = []
      const onlyFeed = yield* Backfill.run({ job: recordingJob(seen), sourceType: "feed", dryRun: true })
      assert.deepStrictEqual(onlyFeed.bySource, { feed: 1 })
      assert.isTrue(onlyFeed.dryRun)
      assert.deepStrictEqual(seen, [])

      const late = yield* Backfill.run({ job: recordingJob(seen), since: 30 * 60 * 1000 })
      assert.deepStrictEqual(late.bySource, { feed: 1, hn: 1 }, "only what was written after the hour mark")
      const early = yield* Backfill.run({ job: recordingJob([]), until: 30 * 60 * 1000, dryRun: true })
      assert.deepStrictEqual(early.bySource, { hn: 2 })
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
