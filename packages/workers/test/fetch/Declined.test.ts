/**
 * Work the fetch side does not do by configuration is recorded once in bronze, so silver can say
 * "skipped, and why" instead of "pending" forever: enclosures a feed source does not download, and
 * media no transcriber will transcribe.
 */
import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Declined from "../../src/fetch/Declined.ts"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { episode } from "../support/Podcast.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const names = (infos: ReadonlyArray<{ readonly key: { readonly artifactType: string; readonly ext: string } }>) =>
  infos.map((i) => `${i.key.artifactType}.${i.key.ext}`).sort()

describe("Declined", () => {
  it.effect(
    "a feed source that does not fetch enclosures records so once per entry; downloading later supersedes it",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const server = yield* FixtureServer
        const reader = yield* BronzeReader
        const feeds = [`${server.url}/podcast.xml`]
        const wav = yield* episode("fixture-podcast-jfk-wav")
        yield* FetchWorker.runOnce(FeedSource.make({ feeds, fetchArticles: false, fetchMedia: false }))
        assert.deepStrictEqual(names(yield* reader.listItem(wav)), ["audio-declined.json", "entry.json"])
        const record = JSON.parse(
          new TextDecoder().decode(yield* reader.get({ ...wav, artifactType: "audio-declined", ext: "json" }))
        )
        assert.deepStrictEqual(record, {
          artifact: "audio",
          url: `${server.url}/media/jfk.wav`,
          reason: "disabled",
          message: "the source does not fetch enclosures (fetchEnclosures: false)"
        })
        // Again: nothing new, the entry is up to date.
        yield* TestClock.adjust("1 hour")
        const again = yield* FetchWorker.runOnce(FeedSource.make({ feeds, fetchArticles: false, fetchMedia: false }))
        assert.deepStrictEqual(
          again.results.map((r) => r.outcome),
          ["skipped", "skipped"]
        )
        assert.strictEqual(server.hits("/media/jfk.wav"), 0)

        // Enclosures turned on: the audio comes; with no transcriber, that is recorded too, once.
        yield* FetchWorker.runOnce(FeedSource.make({ feeds, fetchArticles: false }))
        assert.include(names(yield* reader.listItem(wav)), "audio.wav")
        assert.isDefined(yield* Declined.transcriptionOff(wav))
        assert.isUndefined(yield* Declined.transcriptionOff(wav), "recorded once")
        assert.deepStrictEqual(names(yield* reader.listItem(wav)), [
          "audio-declined.json",
          "audio.wav",
          "entry.json",
          "transcript-declined.json"
        ])
        // An item without media has nothing to transcribe: no record.
        assert.isUndefined(
          yield* Declined.transcriptionOff({ sourceType: "feed", externalId: FeedSource.feedId(feeds[0]!) })
        )
      }).pipe(Effect.provide(fetchStack()))
  )
})
