/**
 * What a write-once put answers when its key is already taken (the artifact was there, or another
 * writer won the race): the stored artifact decides. The same bytes are `unchanged`; other bytes are an
 * `ArtifactConflict`, never an overwrite.
 */
import { Effect, Option } from "effect"
import type * as ArtifactKey from "./ArtifactKey.ts"
import { ArtifactConflict, BronzeIoError } from "./BronzeErrors.ts"

export const takenKeyOutcome = (options: {
  readonly key: ArtifactKey.ArtifactKey
  readonly location: string
  readonly attemptedSha256: string
  /** Reads what the key holds. */
  readonly stored: Effect.Effect<Option.Option<ArtifactKey.ArtifactInfo>, BronzeIoError>
  /** Why the store believed the key taken, for the error if nothing is there after all. */
  readonly takenBecause: string
}): Effect.Effect<ArtifactKey.PutResult, ArtifactConflict | BronzeIoError> =>
  Effect.gen(function* () {
    const stored = yield* options.stored
    if (Option.isNone(stored)) {
      return yield* new BronzeIoError({
        operation: "put",
        location: options.location,
        cause: new Error(`the artifact vanished after ${options.takenBecause}`)
      })
    }
    if (stored.value.sha256 !== options.attemptedSha256) {
      return yield* new ArtifactConflict({
        key: options.key,
        existingSha256: stored.value.sha256,
        attemptedSha256: options.attemptedSha256
      })
    }
    return { ...stored.value, outcome: "unchanged" as const }
  })
