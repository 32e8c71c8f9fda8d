import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { Transcriber } from "../../src/fetch/Transcriber.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"
import { episode } from "../support/Podcast.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const KEY = "sk-test-0123456789-secret"
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const transcriber = (key: string, maxItemsPerDay: number) =>
  Layer.unwrap(
    Effect.map(Effect.service(FixtureServer), (server) =>
      Transcriber.layer({ endpoint: server.url, apiKey: Option.some(Redacted.make(key)), maxItemsPerDay })
    )
  )

const ingestPodcast = Effect.gen(function* () {
  const server = yield* FixtureServer
  yield* FetchWorker.runOnce(FeedSource.make({ feeds: [`${server.url}/podcast.xml`], fetchArticles: false }))
})

/** Every artifact of the items the test touched, as text: to prove the key is nowhere. */
const allText = Effect.gen(function* () {
  const reader = yield* BronzeReader
  const out: Array<string> = []
  const wav = yield* episode("fixture-podcast-jfk-wav")
  const mp3 = yield* episode("fixture-podcast-jfk-mp3")
  for (const item of [wav, mp3, { sourceType: "spend", externalId: "transcription:2026-11-27" }]) {
    for (const info of yield* reader.listItem(item)) {
      if (info.key.ext === "json") out.push(text(yield* reader.get(info.key)))
    }
  }
  return out.join("\n")
})

describe("Transcriber", () => {
  it.effect(
    "reads the audio from bronze, stores the raw Whisper verbose_json, and keeps to the daily limit counted in bronze",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        yield* ingestPodcast
        const server = yield* FixtureServer
        const reader = yield* BronzeReader
        const { transcribe } = yield* Transcriber
        const wav = yield* episode("fixture-podcast-jfk-wav")
        const mp3 = yield* episode("fixture-podcast-jfk-mp3")
        const first = yield* transcribe(wav)
        assert.strictEqual(first.outcome, "fetched", first.reason)
        const transcript = yield* reader.get({ ...wav, artifactType: "transcript", ext: "json" })
        assert.deepStrictEqual(transcript, served("whisper/openai-whisper_commit1caba7d_jfk.json"))
        const request = server.requests().find((r) => r.path === "/v1/audio/transcriptions")!
        assert.match(String(request.headers["content-type"]), /^multipart\/form-data/)

        assert.strictEqual((yield* transcribe(wav)).reason, "already transcribed")
        const limited = yield* transcribe(mp3)
        assert.strictEqual(limited.outcome, "skipped")
        assert.match(limited.reason!, /daily spend limit reached \(1\/1 items/)

        // A new day, a new budget: the count lives in bronze, so it is by day and survives restarts.
        yield* TestClock.adjust(Duration.days(1))
        assert.strictEqual((yield* transcribe(mp3)).outcome, "fetched")
        assert.notInclude(yield* allText, KEY)
      }).pipe(Effect.provide(Layer.provideMerge(transcriber(KEY, 1), fetchStack({ apiKey: KEY }))))
  )

  it.effect("a refused key is a recorded failure that does not contain the key", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      yield* ingestPodcast
      const reader = yield* BronzeReader
      const { transcribe } = yield* Transcriber
      const wav = yield* episode("fixture-podcast-jfk-wav")
      const result = yield* transcribe(wav)
      assert.strictEqual(result.outcome, "failed")
      const failure = (yield* reader.listItem(wav)).find((i) => i.key.artifactType.startsWith("fetch-error@"))!
      const record = JSON.parse(text(yield* reader.get(failure.key)))
      assert.strictEqual(record.artifact, "transcript")
      assert.strictEqual(record.status, 401)
      assert.notInclude(yield* allText, "wrong-key-value")
    }).pipe(Effect.provide(Layer.provideMerge(transcriber("wrong-key-value", 10), fetchStack({ apiKey: KEY }))))
  )
})
