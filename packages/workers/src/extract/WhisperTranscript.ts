/**
 * Whisper `verbose_json` (the OpenAI `/v1/audio/transcriptions` shape, also
 * spoken by whisper.cpp's server and the openai-whisper CLI's `.json`) ->
 * text + segments with timestamps, and the language the model detected: as a
 * BCP 47 tag (`en`), whether the server answered a code or a name (`english`).
 */
import { Effect, Schema } from "effect"
import * as JsonArtifact from "./JsonArtifact.ts"
import * as Language from "./Language.ts"
import type { ExtractError } from "./ExtractError.ts"

export const Segment = Schema.Struct({
  id: Schema.optional(Schema.Number),
  start: Schema.Number,
  end: Schema.Number,
  text: Schema.String,
  avg_logprob: Schema.optional(Schema.Number),
  no_speech_prob: Schema.optional(Schema.Number),
  /** Some servers detect the language per segment (multilingual audio). */
  language: Schema.optional(Schema.NullOr(Schema.String))
})

export const VerboseJson = Schema.Struct({
  text: Schema.String,
  language: Schema.optional(Schema.NullOr(Schema.String)),
  duration: Schema.optional(Schema.Number),
  segments: Schema.Array(Segment)
})
export type VerboseJson = typeof VerboseJson.Type

export interface TranscriptSegment {
  readonly index: number
  readonly start: number
  readonly end: number
  readonly text: string
  /** The segment's own language when the server gives one, else the transcript's. */
  readonly language: string | undefined
}

export interface Transcript {
  readonly text: string
  /** BCP 47 tag of the detected language; `undefined` when the server gave none it could name. */
  readonly language: string | undefined
  /** Seconds: the API's `duration`, else the end of the last segment. */
  readonly duration: number
  readonly segments: ReadonlyArray<TranscriptSegment>
}

const decodeVerbose = JsonArtifact.decode(VerboseJson, "Whisper verbose_json")

export const parse = (bytes: Uint8Array): Effect.Effect<Transcript, ExtractError> =>
  Effect.map(decodeVerbose(bytes), (raw) => {
    const language = Language.fromName(raw.language)
    const segments = raw.segments.map((s, i) => ({
      index: s.id ?? i,
      start: s.start,
      end: s.end,
      text: s.text.trim(),
      language: Language.fromName(s.language) ?? language
    }))
    return {
      text: raw.text.trim(),
      language,
      duration: raw.duration ?? segments.reduce((max, s) => Math.max(max, s.end), 0),
      segments
    }
  })
