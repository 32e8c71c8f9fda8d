/**
 * What every bronze store does first with what it is given: the key (or item) is validated, so a bad id
 * is a `BronzeIoError` naming the operation, never a path outside the store; the bytes are hashed; and
 * listings come back in location order.
 */
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"

export const validateKey = (key: ArtifactKey.ArtifactKey) =>
  Schema.decodeUnknownEffect(ArtifactKey.ArtifactKey)(key).pipe(
    Effect.mapError((cause) => new BronzeIoError({ operation: "validate-key", location: "(invalid key)", cause }))
  )

export const validateItem = (item: ArtifactKey.ItemKey) =>
  Schema.decodeUnknownEffect(ArtifactKey.ItemKey)(item).pipe(
    Effect.mapError((cause) => new BronzeIoError({ operation: "validate-key", location: "(invalid item)", cause }))
  )

/** The sha256 of bytes in memory, hex. */
export const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** Orders artifacts by location, the order every listing returns. */
export const byLocation = (a: { readonly location: string }, b: { readonly location: string }): number =>
  a.location < b.location ? -1 : a.location > b.location ? 1 : 0
