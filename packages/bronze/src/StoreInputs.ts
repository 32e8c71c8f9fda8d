/**
 * What every bronze store does first with what it is given: the key (or item) is validated, so a bad id
 * is an `InvalidKey` naming the rule it breaks, never a path outside the store; the bytes are hashed; and
 * listings come back in location order.
 */
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError, InvalidKey } from "./BronzeErrors.ts"

/** One line: the Schema's message names the rule that was broken and the part (`at ["externalId"]`). */
const invalid = (what: string) => (cause: Schema.SchemaError) =>
  new InvalidKey({ message: `invalid ${what}: ${cause.message.replace(/\s*\n\s*/g, " ")}` })

export const validateKey = (key: ArtifactKey.ArtifactKey): Effect.Effect<ArtifactKey.ArtifactKey, InvalidKey> =>
  Schema.decodeUnknownEffect(ArtifactKey.ArtifactKey)(key).pipe(Effect.mapError(invalid("key")))

export const validateItem = (item: ArtifactKey.ItemKey): Effect.Effect<ArtifactKey.ItemKey, InvalidKey> =>
  Schema.decodeUnknownEffect(ArtifactKey.ItemKey)(item).pipe(Effect.mapError(invalid("item")))

/**
 * For the readers: the same rules, but a lookup with a key the writer refuses answers with the
 * `BronzeIoError { operation: "validate-key" }` a read can fail with anyway (its message carries the
 * rule), so readers keep one storage error type.
 */
export const validateLookup = (key: ArtifactKey.ArtifactKey): Effect.Effect<ArtifactKey.ArtifactKey, BronzeIoError> =>
  validateKey(key).pipe(
    Effect.mapError((cause) => new BronzeIoError({ operation: "validate-key", location: "(invalid key)", cause }))
  )

export const validateLookupItem = (item: ArtifactKey.ItemKey): Effect.Effect<ArtifactKey.ItemKey, BronzeIoError> =>
  validateItem(item).pipe(
    Effect.mapError((cause) => new BronzeIoError({ operation: "validate-key", location: "(invalid item)", cause }))
  )

/** The sha256 of bytes in memory, hex. */
export const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** Orders artifacts by location, the order every listing returns. */
export const byLocation = (a: { readonly location: string }, b: { readonly location: string }): number =>
  a.location < b.location ? -1 : a.location > b.location ? 1 : 0
