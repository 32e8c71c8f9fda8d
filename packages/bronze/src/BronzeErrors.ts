/**
 * The typed failures of the raw store.
 */
import { Schema } from "effect"
import { ArtifactKey } from "./ArtifactKey.ts"

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

/** The storage failed (or refused an invalid key); `operation` and `location` say where. */
export class BronzeIoError extends Schema.TaggedError<BronzeIoError>()("BronzeIoError", {
  operation: Schema.String,
  location: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `bronze ${this.operation} failed at ${this.location}: ${describeCause(this.cause)}`
  }
}

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) return cause.message
  if (typeof cause === "string") return cause
  try {
    return JSON.stringify(cause) ?? typeof cause
  } catch {
    return typeof cause
  }
}
