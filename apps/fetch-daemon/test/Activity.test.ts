/**
 * What the fetch daemon records for its status page (`FetchActivity`): its sources and schedules,
 * each source run with its counts and failed items, a failed discovery with its reason, and the
 * bronze upkeep; and the recorder's bounds.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Layer, Schedule } from "effect"
import { FetchActivity, FetchHttp, RobotsTxt, SourceError, type Source } from "@medallion/workers/fetch"
import * as FetchDaemon from "../src/FetchDaemon.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-fetch-activity-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Three items: two fetched, one failing with a reason that is hostile markup. */
const listing: Source = {
  sourceType: "listing",
  discover: Effect.succeed([{ externalId: "a" }, { externalId: "b" }, { externalId: "c" }]),
  fetchItem: (item) =>
    Effect.succeed(
      item.externalId === "c"
        ? { externalId: "c", outcome: "failed", written: [], reason: "<b>HTTP 500</b>" }
        : { externalId: item.externalId, outcome: "fetched", written: [] }
    )
}

/** A source whose discovery fails. */
const broken: Source = {
  sourceType: "broken",
  discover: Effect.fail(new SourceError({ sourceType: "broken", message: "feed answered HTTP 404" })),
  fetchItem: () => Effect.die("never asked")
}

describe("the fetch daemon's activity record", () => {
  it.live("lists the sources with their schedules, each run's counts and failures, and the upkeep", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const snapshot = yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(
            FetchDaemon.layer({
              sources: [
                { name: "mine", source: listing, every: Duration.hours(1) },
                { name: "gone", source: broken, every: Duration.minutes(30) }
              ],
              concurrency: 2,
              reconcileEvery: Duration.hours(6)
            }).pipe(
              Layer.provideMerge(FetchActivity.layer),
              Layer.provide(FileSystemBronze.layerWith({ root, catalog: "index" })),
              Layer.provide(RobotsTxt.layer()),
              Layer.provide(FetchHttp.layer({}))
            )
          )
          const activity = Context.get(context, FetchActivity)
          // Both sources run once as the daemon starts, the upkeep too (the test's timeout bounds this).
          return yield* activity.snapshot.pipe(
            Effect.repeat({
              until: (s) => s.sources.every((source) => source.runs > 0) && s.upkeep.last !== null,
              schedule: Schedule.spaced("20 millis")
            })
          )
        })
      )
      const [mine, gone] = snapshot.sources
      assert.deepStrictEqual(
        [mine!.name, mine!.sourceType, mine!.every, gone!.name, gone!.every],
        ["mine", "listing", "1h", "gone", "30m"]
      )
      const run = mine!.lastRuns[0]!
      assert.deepStrictEqual(
        [run.discovered, run.fetched, run.skipped, run.failed, run.discoveryError],
        [3, 2, 0, 1, null]
      )
      assert.deepStrictEqual(run.failures, [{ externalId: "c", reason: "<b>HTTP 500</b>" }])
      assert.strictEqual(gone!.lastRuns[0]!.discoveryError, "feed answered HTTP 404")
      assert.strictEqual(snapshot.upkeep.every, "6h")
      assert.isTrue(snapshot.upkeep.last!.ok)
    })
  )

  it.effect("keeps the newest runs per source, the first failures of a run, and media problems apart from skips", () =>
    Effect.gen(function* () {
      const activity = yield* FetchActivity
      yield* activity.schedule([{ name: "s", every: "1m" }], null)
      const results = Array.from({ length: 30 }, (_, i) => ({
        externalId: String(i),
        outcome: "failed" as const,
        written: [],
        reason: `reason ${i}`
      }))
      for (let i = 0; i < 15; i++) {
        yield* activity.recordRun(
          "s",
          { sourceType: "s", discovered: i, fetched: 0, skipped: 0, failed: 30, results, discoveryFailures: [] },
          12.7
        )
      }
      const item = { sourceType: "feed", externalId: "e" }
      yield* activity.recordMedia("transcription", item, { outcome: "fetched" })
      yield* activity.recordMedia("transcription", item, { outcome: "skipped", reason: "already transcribed" })
      yield* activity.recordMedia("transcription", item, { outcome: "failed", reason: "HTTP 401" })
      yield* activity.recordMedia("enrichment", item, Cause.fail(new Error("connection reset")))
      yield* activity.recordUpkeep(Cause.fail(new Error("disk full")))

      const snapshot = yield* activity.snapshot
      const source = snapshot.sources[0]!
      assert.strictEqual(source.runs, 15)
      // The newest 10 runs, the first 20 failures of each.
      assert.strictEqual(source.lastRuns.length, 10)
      assert.strictEqual(source.lastRuns[0]!.discovered, 14)
      assert.strictEqual(source.lastRuns[0]!.durationMs, 13)
      assert.strictEqual(source.lastRuns[0]!.failures.length, 20)
      assert.deepStrictEqual(snapshot.media.counts, {
        transcription: { fetched: 1, skipped: 1, failed: 1 },
        enrichment: { error: 1 }
      })
      assert.deepStrictEqual(
        snapshot.media.recentProblems.map((p) => [p.task, p.outcome, p.reason]),
        [
          ["enrichment", "error", "connection reset"],
          ["transcription", "failed", "HTTP 401"]
        ]
      )
      assert.deepStrictEqual(
        snapshot.media.recentSkips.map((p) => p.reason),
        ["already transcribed"]
      )
      assert.deepStrictEqual([snapshot.upkeep.last!.ok, snapshot.upkeep.last!.error], [false, "disk full"])
    }).pipe(Effect.provide(FetchActivity.layer))
  )

  it.effect("a run whose discovery documents failed shows which and why, where a failed discovery would", () =>
    Effect.gen(function* () {
      const activity = yield* FetchActivity
      yield* activity.schedule([{ name: "podcast", every: "30m" }], null)
      yield* activity.recordRun(
        "podcast",
        {
          sourceType: "feed",
          discovered: 0,
          fetched: 0,
          skipped: 0,
          failed: 0,
          results: [],
          discoveryFailures: [
            {
              externalId: "_feed:https://example.org/feed.xml",
              artifact: "feed",
              url: "https://example.org/feed.xml",
              reason: "invalid-response",
              message: "not a recognizable RSS, Atom, RDF or JSON feed",
              location: "feed/_feed:https%3A%2F%2Fexample.org%2Ffeed.xml/fetch-error@2026-11-27T05-00-00Z.json"
            }
          ]
        },
        5
      )
      const run = (yield* activity.snapshot).sources[0]!.lastRuns[0]!
      assert.strictEqual(
        run.discoveryError,
        "feed https://example.org/feed.xml: invalid-response: not a recognizable RSS, Atom, RDF or JSON feed"
      )
    }).pipe(Effect.provide(FetchActivity.layer))
  )
})
