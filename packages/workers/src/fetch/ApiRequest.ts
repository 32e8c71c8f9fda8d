/**
 * One POST to an OpenAI-compatible API (chat completions, audio
 * transcriptions), as the enricher and the transcriber make it: the optional
 * key as a Bearer token, a time limit, and a failure turned into the record
 * the item keeps in bronze.
 */
import { Duration, Effect, Option, Redacted } from "effect"
import type { HttpBody } from "effect/http"
import type { FetchHttp } from "../http/FetchHttp.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"

export interface ApiPost {
  readonly url: string
  readonly body: HttpBody.HttpBody
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly timeout: Duration.Duration
  readonly maxBytes?: number | undefined
  /** The artifact a failure record names. */
  readonly artifact: string
  /** What was awaited, for the timeout message (`no transcript within 10m`). */
  readonly awaited: string
}

/** The response, or the failure record to store (`recordFailure`) when the call failed or timed out. */
export const post = (http: FetchHttp["Service"], request: ApiPost) =>
  http
    .request({
      url: request.url,
      method: "POST",
      body: request.body,
      accept: "application/json",
      headers: Option.match(request.apiKey, {
        onNone: () => ({}),
        onSome: (key) => ({ authorization: `Bearer ${Redacted.value(key)}` })
      }),
      maxBytes: request.maxBytes
    })
    .pipe(
      Effect.timeout(request.timeout),
      Effect.mapError((error): Omit<ItemArtifacts.FailureRecord, "at"> =>
        error._tag === "FetchError"
          ? ItemArtifacts.failureOf(request.artifact, error)
          : {
              artifact: request.artifact,
              url: request.url,
              reason: "timeout",
              message: `no ${request.awaited} within ${Duration.format(request.timeout)}`
            }
      ),
      Effect.result
    )
