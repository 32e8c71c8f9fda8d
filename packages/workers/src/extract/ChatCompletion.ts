/**
 * An OpenAI-compatible chat completion response -> the assistant's text (the
 * summary enrichment asks for).
 */
import { Effect, Schema } from "effect"
import { ExtractError } from "./ExtractError.ts"
import * as JsonArtifact from "./JsonArtifact.ts"

export const Response = Schema.Struct({
  id: Schema.optional(Schema.String),
  object: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  choices: Schema.Array(
    Schema.Struct({
      index: Schema.optional(Schema.Number),
      finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
      message: Schema.Struct({
        role: Schema.optional(Schema.String),
        content: Schema.optional(Schema.NullOr(Schema.String)),
        refusal: Schema.optional(Schema.NullOr(Schema.String))
      })
    })
  ),
  usage: Schema.optional(
    Schema.Struct({
      prompt_tokens: Schema.optional(Schema.Number),
      completion_tokens: Schema.optional(Schema.Number),
      total_tokens: Schema.optional(Schema.Number)
    })
  )
})

export interface Completion {
  readonly text: string
  readonly model: string | undefined
  readonly finishReason: string | undefined
  readonly totalTokens: number | undefined
}

const decodeResponse = JsonArtifact.decode(Response, "chat completion")

export const parse = (bytes: Uint8Array): Effect.Effect<Completion, ExtractError> =>
  Effect.gen(function* () {
    const response = yield* decodeResponse(bytes)
    const choice = response.choices[0]
    if (choice === undefined)
      return yield* new ExtractError({ kind: "no-content", reason: "chat completion: no choices" })
    const content = choice.message.content?.trim()
    if (content === undefined || content.length === 0) {
      const why = choice.message.refusal
        ? `the model refused: ${choice.message.refusal}`
        : `no text content (finish_reason ${choice.finish_reason ?? "unknown"})`
      return yield* new ExtractError({ kind: "no-content", reason: `chat completion: ${why}` })
    }
    return {
      text: content,
      model: response.model,
      finishReason: choice.finish_reason ?? undefined,
      totalTokens: response.usage?.total_tokens
    }
  })
