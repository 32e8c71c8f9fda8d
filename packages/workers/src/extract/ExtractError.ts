import { Schema } from "effect"

/** Why an artifact could not be turned into a typed record. */
export const ExtractFailureKind = Schema.Literals([
  "empty",
  "too-large",
  "truncated",
  "invalid-json",
  "schema-mismatch",
  "not-a-feed",
  "unsupported-charset",
  "no-content",
  "extract-timeout"
])
export type ExtractFailureKind = typeof ExtractFailureKind.Type

/**
 * An artifact that could not be extracted, with a reason a person can act on.
 * The transform records it on the item (a visible failed state) and goes on.
 */
export class ExtractError extends Schema.TaggedError<ExtractError>()("ExtractError", {
  kind: ExtractFailureKind,
  reason: Schema.String
}) {
  /** Logs and rendered causes show the reason, not an empty message. */
  override get message(): string {
    return this.reason
  }
}
