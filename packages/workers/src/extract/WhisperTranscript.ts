/**
 * Whisper `verbose_json` (the OpenAI `/v1/audio/transcriptions` shape, also
 * spoken by whisper.cpp's server and the openai-whisper CLI's `.json`) ->
 * text + segments with timestamps.
 */
import { Effect, Schema } from "effect"
import * as JsonArtifact from "./JsonArtifact.ts"
import type { ExtractError } from "./ExtractError.ts"

export const Segment = Schema.Struct({
  id: Schema.optional(Schema.Number),
  start: Schema.Number,
  end: Schema.Number,
  text: Schema.String,
  avg_logprob: Schema.optional(Schema.Number),
  no_speech_prob: Schema.optional(Schema.Number)
})

export const VerboseJson = Schema.Struct({
  text: Schema.String,
  language: Schema.optional(Schema.String),
  duration: Schema.optional(Schema.Number),
  segments: Schema.Array(Segment)
})
export type VerboseJson = typeof VerboseJson.Type

export interface TranscriptSegment {
  readonly index: number
  readonly start: number
  readonly end: number
  readonly text: string
}

export interface Transcript {
  readonly text: string
  readonly language: string | undefined
  /** Seconds: the API's `duration`, else the end of the last segment. */
  readonly duration: number
  readonly segments: ReadonlyArray<TranscriptSegment>
}

const decodeVerbose = JsonArtifact.decode(VerboseJson, "Whisper verbose_json")

export const parse = (bytes: Uint8Array): Effect.Effect<Transcript, ExtractError> =>
  Effect.map(decodeVerbose(bytes), (raw) => {
    const segments = raw.segments.map((s, i) => ({ index: s.id ?? i, start: s.start, end: s.end, text: s.text.trim() }))
    return {
      text: raw.text.trim(),
      language: raw.language,
      duration: raw.duration ?? segments.reduce((max, s) => Math.max(max, s.end), 0),
      segments
    }
  })
