/**
 * JSON bytes -> a value validated by a Schema, with the three ways real files
 * go wrong told apart: empty, cut short (truncated download or crash), and not
 * JSON at all or not the expected shape.
 */
import { Effect, Schema } from "effect"
import { ExtractError } from "./ExtractError.ts"

export const decode = <S extends Schema.Decoder<unknown>>(schema: S, what: string) => {
  const decodeValue = Schema.decodeUnknownEffect(schema)
  return (bytes: Uint8Array): Effect.Effect<S["Type"], ExtractError> =>
    Effect.gen(function* () {
      let text: string
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)
      } catch {
        return yield* new ExtractError({ kind: "invalid-json", reason: `${what}: not valid UTF-8` })
      }
      if (text.trim().length === 0)
        return yield* new ExtractError({ kind: "empty", reason: `${what}: the file is empty` })
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        // V8 reports where parsing stopped: at the very end means the text was cut short.
        const position = /position (\d+)/.exec(message)
        const truncated =
          /end of (JSON )?input/i.test(message) || (position !== null && Number(position[1]) >= text.trimEnd().length)
        return yield* new ExtractError({
          kind: truncated ? "truncated" : "invalid-json",
          reason: `${what}: ${truncated ? "the JSON ends early (truncated)" : "invalid JSON"}: ${message}`
        })
      }
      return yield* decodeValue(json).pipe(
        Effect.mapError((error) => new ExtractError({ kind: "schema-mismatch", reason: `${what}: ${error.message}` }))
      )
    })
}
