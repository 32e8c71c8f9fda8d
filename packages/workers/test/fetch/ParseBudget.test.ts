/**
 * The fetch side parses what it fetched (feed documents, the article of a page to enrich) through the
 * context's `ExtractPool`, within the source's budget, so a hostile document cannot hold the fetch
 * daemon's own thread: the routing with a recording pool, the bound with a real one.
 */
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { ExtractError } from "../../src/extract/ExtractError.ts"
import * as Extraction from "../../src/extract/Extraction.ts"
import { ExtractPool } from "../../src/extract/ExtractPool.ts"
import { promptText } from "../../src/fetch/Enricher.ts"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { pathologicalPage } from "../../src/testing/PathologicalPage.ts"
import { fetchStack } from "../support/FetchStack.ts"
import * as F from "../transform/Fixtures.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")

interface Call {
  readonly task: string
  readonly budget: number
}

/** A pool that records each extraction it is given, then runs it inline or fails it as over budget. */
const recordingPool = (calls: Array<Call>, answer: "inline" | "timeout") =>
  Layer.succeed(
    ExtractPool,
    ExtractPool.of({
      threads: 1,
      run: (extraction, bytes, budget) => {
        calls.push({ task: extraction.task, budget: Duration.toMillis(Duration.fromInputUnsafe(budget)) })
        return answer === "inline"
          ? Extraction.inline(extraction, bytes)
          : Effect.fail(new ExtractError({ kind: "extract-timeout", reason: "extract-timeout: over its budget" }))
      }
    })
  )

const page = { sourceType: "web", externalId: "https://example.org/deep" }

const putPage = (bytes: Uint8Array) =>
  BronzeWriter.use((writer) => writer.put({ ...page, artifactType: "page", ext: "html" }, bytes))

describe("parsing on the fetch side", () => {
  it.effect("a feed document is parsed through the pool, with the source's budget", () => {
    const calls: Array<Call> = []
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const source = FeedSource.make({
        feeds: [`${server.url}/podcast.xml`],
        fetchArticles: false,
        fetchMedia: false,
        extractTimeout: Duration.millis(1234)
      })
      const found = yield* source.discover
      assert.strictEqual(found.length, 2)
      assert.deepStrictEqual(calls, [{ task: "feed", budget: 1234 }])
    }).pipe(Effect.provide(Layer.merge(fetchStack(), recordingPool(calls, "inline"))))
  })

  it.effect("a feed document over its budget fails the feed with extract-timeout, recorded in bronze", () => {
    const calls: Array<Call> = []
    return Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const feedUrl = `${server.url}/podcast.xml`
      const report = yield* FetchWorker.runOnce(
        FeedSource.make({ feeds: [feedUrl], fetchArticles: false, fetchMedia: false })
      )
      assert.strictEqual(report.discovered, 0)
      const infos = yield* reader.listItem({ sourceType: "feed", externalId: FeedSource.feedId(feedUrl) })
      const failure = infos.find((i) => i.key.artifactType.startsWith("fetch-error@"))
      assert.isDefined(failure, "the feed's failure is recorded")
      const record = JSON.parse(new TextDecoder().decode(yield* reader.get(failure!.key)))
      assert.strictEqual(record.reason, "extract-timeout")
      assert.match(record.message, /^extract-timeout: /)
      assert.deepStrictEqual(calls, [{ task: "feed", budget: 5000 }])
    }).pipe(Effect.provide(Layer.merge(fetchStack(), recordingPool(calls, "timeout"))))
  })

  it.effect("the article of a page to enrich is extracted through the pool, with the enricher's budget", () => {
    const calls: Array<Call> = []
    return Effect.gen(function* () {
      yield* putPage(F.bytes("html/aclu.html"))
      const text = yield* promptText(page, Duration.millis(777))
      assert.isTrue(Option.isSome(text))
      assert.isAbove(Option.getOrThrow(text).text.length, 300)
      assert.deepStrictEqual(calls, [{ task: "html-article", budget: 777 }])
    }).pipe(Effect.provide(Layer.merge(MemoryBronze.layer, recordingPool(calls, "inline"))))
  })

  it.live(
    "a hostile page to enrich is stopped at its budget in a real worker thread, and passed over",
    () =>
      Effect.gen(function* () {
        yield* putPage(pathologicalPage())
        const text = yield* promptText(page, Duration.seconds(2))
        // The page is passed over (no transcript, no HN text either): nothing to summarize.
        assert.isTrue(Option.isNone(text))
      }).pipe(Effect.provide(Layer.merge(MemoryBronze.layer, ExtractPool.layer({ threads: 1 })))),
    120_000
  )
})
