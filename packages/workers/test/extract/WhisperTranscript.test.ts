import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as WhisperTranscript from "../../src/extract/WhisperTranscript.ts"
import { served } from "../support/Fixtures.ts"

describe("WhisperTranscript", () => {
  it.effect("reads the openai-whisper verbose JSON of the JFK clip", () =>
    Effect.gen(function* () {
      const transcript = yield* WhisperTranscript.parse(served("whisper/openai-whisper_commit1caba7d_jfk.json"))
      assert.strictEqual(transcript.language, "en")
      assert.strictEqual(transcript.segments.length, 1)
      assert.deepStrictEqual(transcript.segments[0], {
        index: 0,
        start: 0,
        end: 11,
        text: "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
        language: "en"
      })
      assert.strictEqual(transcript.duration, 11)
      assert.match(transcript.text, /^And so my fellow Americans/)
    })
  )

  it.effect("names the detected language as a tag, whether the server answered a code or a name", () =>
    Effect.gen(function* () {
      const json = (language: unknown, segmentLanguage?: string) =>
        new TextEncoder().encode(
          JSON.stringify({
            text: "Bonjour.",
            language,
            segments: [
              { start: 0, end: 1, text: "Bonjour.", ...(segmentLanguage ? { language: segmentLanguage } : {}) },
              { start: 1, end: 2, text: "Hello." }
            ]
          })
        )
      const named = yield* WhisperTranscript.parse(json("French"))
      assert.strictEqual(named.language, "fr")
      assert.deepStrictEqual(
        named.segments.map((s) => s.language),
        ["fr", "fr"]
      )
      const mixed = yield* WhisperTranscript.parse(json("english", "fr"))
      assert.deepStrictEqual(
        mixed.segments.map((s) => s.language),
        ["fr", "en"]
      )
      const unknown = yield* WhisperTranscript.parse(json("Klingon"))
      assert.isUndefined(unknown.language)
      assert.isUndefined((yield* WhisperTranscript.parse(json(null))).language)
    })
  )

  it.effect("tells truncated, invalid and wrongly shaped files apart", () =>
    Effect.gen(function* () {
      const bytes = served("whisper/openai-whisper_commit1caba7d_jfk.json")
      const truncated = yield* Effect.flip(WhisperTranscript.parse(bytes.subarray(0, 200)))
      assert.strictEqual(truncated.kind, "truncated")
      const shape = yield* Effect.flip(WhisperTranscript.parse(new TextEncoder().encode('{"text": "hi"}')))
      assert.strictEqual(shape.kind, "schema-mismatch")
      assert.include(shape.reason, "segments")
      const empty = yield* Effect.flip(WhisperTranscript.parse(new Uint8Array()))
      assert.strictEqual(empty.kind, "empty")
      const binary = yield* Effect.flip(WhisperTranscript.parse(served("whisper/jfk.mp3")))
      assert.strictEqual(binary.kind, "invalid-json")
    })
  )
})
