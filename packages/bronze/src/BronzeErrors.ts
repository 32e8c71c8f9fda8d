/**
 * The typed failures of the raw store.
 */
import { Schema } from "effect"
import { ArtifactKey } from "./ArtifactKey.ts"
import { causeChain } from "./CauseChain.ts"

/** Different bytes were offered for a key that already holds an artifact; the stored file is untouched. */
export class ArtifactConflict extends Schema.TaggedError<ArtifactConflict>()("ArtifactConflict", {
  key: ArtifactKey,
  existingSha256: Schema.String,
  attemptedSha256: Schema.String
}) {
  override get message(): string {
    return `artifact ${this.key.sourceType}/${this.key.externalId}/${this.key.artifactType}.${this.key.ext} already exists with sha256 ${this.existingSha256}; refused different bytes (sha256 ${this.attemptedSha256})`
  }
}

/** No artifact is stored under the key. */
export class ArtifactNotFound extends Schema.TaggedError<ArtifactNotFound>()("ArtifactNotFound", {
  key: ArtifactKey
}) {
  override get message(): string {
    return `no artifact ${this.key.sourceType}/${this.key.externalId}/${this.key.artifactType}.${this.key.ext}`
  }
}

/** The storage failed; `operation` and `location` say where, the message carries the cause's own words. */
export class BronzeIoError extends Schema.TaggedError<BronzeIoError>()("BronzeIoError", {
  operation: Schema.String,
  location: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `bronze ${this.operation} failed at ${this.location}: ${causeChain(this.cause)}`
  }
}

/**
 * A key (or item) no store takes: a part breaks a rule of its Schema (a source type that is not a slug, an
 * empty id, an id with U+0000 or a lone surrogate, ...). The message names the rule and the part; nothing
 * was read or written. Retrying cannot help.
 */
export class InvalidKey extends Schema.TaggedError<InvalidKey>()("InvalidKey", {
  message: Schema.String
}) {}
