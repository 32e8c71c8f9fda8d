/**
 * The record that keeps the original id of an item whose folder (on disk) or prefix (on S3) is named by
 * a hash of the id: written once with the item's first artifact, read back to name the item again. Both
 * stores write and check it the same way; only where the bytes live differs.
 */
import { Effect, Option, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"

// Any id a folder can stand for (see `StoredExternalId`): the catalog names the item, a consumer decides.
const Record = Schema.fromJsonString(
  Schema.Struct({ sourceType: ArtifactKey.SourceType, externalId: ArtifactKey.StoredExternalId })
)
const decode = Schema.decodeUnknownOption(Record)

/** The record of `key`'s item, as stored. */
export const encode = (key: ArtifactKey.ArtifactKey): string =>
  JSON.stringify({ sourceType: key.sourceType, externalId: key.externalId })

/**
 * Succeeds when the stored record names `key`'s id; otherwise the hashed name belongs to another id (a
 * collision, or a foreign file) and nothing may be written under it.
 */
export const checkOwner = (
  stored: Option.Option<string>,
  key: ArtifactKey.ArtifactKey,
  location: string
): Effect.Effect<void, BronzeIoError> => {
  const record = Option.flatMap(stored, decode)
  return Option.isSome(record) && record.value.externalId === key.externalId
    ? Effect.void
    : Effect.fail(
        new BronzeIoError({
          operation: "item-record",
          location,
          cause: new Error("the hashed item name belongs to another id")
        })
      )
}

/** The original id a hashed segment's record names, when it hashes to the segment's name. */
export const externalIdOf = (
  stored: Option.Option<string>,
  hash: string,
  location: string
): Effect.Effect<string, BronzeIoError> => {
  const record = Option.flatMap(stored, decode)
  return Option.isSome(record) && ArtifactKey.hashId(record.value.externalId) === hash
    ? Effect.succeed(record.value.externalId)
    : Effect.fail(
        new BronzeIoError({
          operation: "read-item-record",
          location,
          cause: new Error("the item record does not match its hashed name")
        })
      )
}
