/**
 * `Transcriber.layerTest` and `Enricher.layerTest`: the real services with the API answered per item, on
 * the in-memory bronze. What a user's pipeline test sees: the artifacts the transform reads, the skip
 * rules, and an API refusal as a failed item with its failure record.
 */
import { BronzeReader, BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Enricher } from "../../src/fetch/Enricher.ts"
import { Transcriber } from "../../src/fetch/Transcriber.ts"
import * as ChatCompletion from "../../src/extract/ChatCompletion.ts"
import * as WhisperTranscript from "../../src/extract/WhisperTranscript.ts"

const episode = (externalId: string) => ({ sourceType: "podcast", externalId })
const speech = {
  text: "Ask not what your country can do for you.",
  language: "english",
  duration: 11,
  segments: [{ id: 0, start: 0, end: 11, text: " Ask not what your country can do for you." }]
}

const withAudio = (externalId: string) =>
  Effect.flatMap(BronzeWriter, (writer) =>
    writer.put({ ...episode(externalId), artifactType: "audio", ext: "mp3" }, new Uint8Array([0xff, 0xfb, 0x90, 0x00]))
  )

const kinds = (externalId: string) =>
  Effect.map(
    Effect.flatMap(BronzeReader, (reader) => reader.listItem(episode(externalId))),
    (infos) => infos.map((info) => info.key.artifactType).sort()
  )

const transcripts = Transcriber.layerTest((item) =>
  item.externalId === "refused"
    ? { response: { status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' } }
    : { transcript: speech }
)
const summaries = Enricher.layerTest(() => ({ summary: "A call to public service." }))

describe("Transcriber.layerTest and Enricher.layerTest", () => {
  it.effect("transcribe then enrich: the transcript and the prompt/response pair land in bronze as the real ones", () =>
    Effect.gen(function* () {
      yield* withAudio("jfk")
      const transcribed = yield* (yield* Transcriber).transcribe(episode("jfk"))
      assert.strictEqual(transcribed.outcome, "fetched", transcribed.reason)
      const reader = yield* BronzeReader
      const parsed = yield* WhisperTranscript.parse(
        yield* reader.get({ ...episode("jfk"), artifactType: "transcript", ext: "json" })
      )
      assert.strictEqual(parsed.text, speech.text)
      assert.strictEqual((yield* (yield* Transcriber).transcribe(episode("jfk"))).reason, "already transcribed")

      const enriched = yield* (yield* Enricher).enrich(episode("jfk"))
      assert.strictEqual(enriched.outcome, "fetched", enriched.reason)
      const response = yield* ChatCompletion.parse(
        yield* reader.get({ ...episode("jfk"), artifactType: "enrichment-response", ext: "json" })
      )
      assert.strictEqual(response.text, "A call to public service.")
      assert.deepStrictEqual(yield* kinds("jfk"), ["audio", "enrichment-prompt", "enrichment-response", "transcript"])
    }).pipe(Effect.provide(Layer.mergeAll(transcripts, summaries).pipe(Layer.provideMerge(MemoryBronze.layer))))
  )

  it.effect("an API refusal is a failed item with the server's words and a failure record; no media, no call", () =>
    Effect.gen(function* () {
      yield* withAudio("refused")
      const refused = yield* (yield* Transcriber).transcribe(episode("refused"))
      assert.strictEqual(refused.outcome, "failed")
      assert.include(refused.reason, "Incorrect API key provided")
      assert.isTrue((yield* kinds("refused")).some((kind) => kind.startsWith("fetch-error")))
      assert.strictEqual(
        (yield* (yield* Transcriber).transcribe(episode("silent"))).reason,
        "no audio or video artifact"
      )
      assert.strictEqual((yield* (yield* Enricher).enrich(episode("silent"))).reason, "no text to summarize")
    }).pipe(Effect.provide(Layer.mergeAll(transcripts, summaries).pipe(Layer.provideMerge(MemoryBronze.layer))))
  )

  it.effect("the daily limits hold on the doubles too", () =>
    Effect.gen(function* () {
      yield* withAudio("one")
      yield* withAudio("two")
      const { transcribe } = yield* Transcriber
      assert.strictEqual((yield* transcribe(episode("one"))).outcome, "fetched")
      const second = yield* transcribe(episode("two"))
      assert.strictEqual(second.outcome, "skipped")
      assert.match(second.reason!, /daily spend limit reached/)
    }).pipe(
      Effect.provide(
        Transcriber.layerTest(() => ({ transcript: speech }), { maxItemsPerDay: 1 }).pipe(
          Layer.provideMerge(MemoryBronze.layer)
        )
      )
    )
  )
})
