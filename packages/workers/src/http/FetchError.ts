import { Schema } from "effect"

/** Why a fetch failed; the sources write it into a `fetch-error@<stamp>.json` artifact as is. */
export const FetchFailureReason = Schema.Literals([
  "invalid-url",
  "scheme-refused",
  "address-refused",
  "connect",
  "timeout",
  "transport",
  "too-large",
  "too-many-redirects",
  "http-status",
  "robots-disallowed"
])
export type FetchFailureReason = typeof FetchFailureReason.Type

/**
 * A fetch that did not produce a usable response, after retries. It carries
 * what a person needs to understand it later: the final URL, the status and
 * headers when a response came back, the redirect chain and the attempts made.
 */
export class FetchError extends Schema.TaggedError<FetchError>()("FetchError", {
  url: Schema.String,
  reason: FetchFailureReason,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  headers: Schema.optional(Schema.Record(Schema.String, Schema.String)),
  bodyExcerpt: Schema.optional(Schema.String),
  retryAfterSeconds: Schema.optional(Schema.Number),
  redirects: Schema.Array(Schema.String),
  attempts: Schema.Number
}) {}

/** Failures worth another attempt: the network, timeouts, rate limits and overloaded servers. */
export const isRetryable = (error: FetchError): boolean => {
  switch (error.reason) {
    case "connect":
    case "timeout":
    case "transport":
      return true
    case "http-status":
      return (
        error.status === 429 ||
        error.status === 500 ||
        error.status === 502 ||
        error.status === 503 ||
        error.status === 504
      )
    default:
      return false
  }
}
