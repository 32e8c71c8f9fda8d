import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as ChatCompletion from "../../src/extract/ChatCompletion.ts"
import { Enricher } from "../../src/fetch/Enricher.ts"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as HackerNewsSource from "../../src/fetch/HackerNewsSource.ts"
import { Transcriber } from "../../src/fetch/Transcriber.ts"
import * as FeedSource from "../../src/fetch/FeedSource.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"
import { episode as podcastEpisode } from "../support/Podcast.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const services = (enabled: boolean) =>
  Layer.unwrap(
    Effect.map(Effect.service(FixtureServer), (server) =>
      Layer.mergeAll(
        Enricher.layer({ enabled, endpoint: server.url, maxItemsPerDay: 5 }),
        Transcriber.layer({ endpoint: server.url })
      )
    )
  )

describe("Enricher", () => {
  it.effect("is off by default", () =>
    Effect.gen(function* () {
      const { enrich } = yield* Enricher
      assert.strictEqual((yield* enrich({ sourceType: "hn", externalId: "1" })).reason, "enrichment is off")
    }).pipe(Effect.provide(Layer.provideMerge(services(false), fetchStack())))
  )

  it.effect("builds the prompt from bronze with the extractors and stores the prompt and the response as a pair", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const { enrich } = yield* Enricher
      // An HN story whose linked page is a real article, and a podcast episode with a transcript.
      yield* FetchWorker.runOnce(HackerNewsSource.make({ baseUrl: server.url, maxItems: 1 }))
      yield* FetchWorker.runOnce(FeedSource.make({ feeds: [`${server.url}/podcast.xml`], fetchArticles: false }))
      const episode = yield* podcastEpisode("fixture-podcast-jfk-mp3")
      yield* (yield* Transcriber).transcribe(episode)

      const story = { sourceType: "hn", externalId: "8863" }
      assert.strictEqual((yield* enrich(story)).outcome, "fetched")
      const prompt = JSON.parse(text(yield* reader.get({ ...story, artifactType: "enrichment-prompt", ext: "json" })))
      assert.strictEqual(prompt.request.messages[1].role, "user")
      // 8863 links (through the fixture server) to an article whose readable text starts the prompt.
      assert.match(prompt.request.messages[1].content, /^Title: /)
      assert.deepStrictEqual(prompt.sources, ["hn/8863/article.html"])
      const response = yield* reader.get({ ...story, artifactType: "enrichment-response", ext: "json" })
      assert.deepStrictEqual(response, served("openai/pydantic-ai_test_valid_response_resp0.json"))
      assert.strictEqual((yield* ChatCompletion.parse(response)).text, "The capital of France is Paris.")

      assert.strictEqual((yield* enrich(episode)).outcome, "fetched")
      const episodePrompt = JSON.parse(
        text(yield* reader.get({ ...episode, artifactType: "enrichment-prompt", ext: "json" }))
      )
      assert.match(episodePrompt.request.messages[1].content, /^And so my fellow Americans, ask not/)

      assert.strictEqual((yield* enrich(story)).reason, "already enriched")
      assert.strictEqual(
        (yield* enrich(yield* podcastEpisode("fixture-podcast-jfk-wav"))).reason,
        "no text to summarize"
      )
    }).pipe(Effect.provide(Layer.provideMerge(services(true), fetchStack())))
  )
})
