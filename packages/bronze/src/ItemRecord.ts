/**
 * The record that keeps the original id of an item whose folder (on disk) or prefix (on S3) is named by
 * a hash of the id: written once with the item's first artifact, read back to name the item again. Both
 * stores write and check it the same way; only where the bytes live differs.
 */
import { Effect, Option, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"
import type { UnresolvedArtifact } from "./Catalog.ts"

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

/** What a hashed segment's record says: the original id, or why it names none. */
export type RecordedId =
  { readonly _tag: "Id"; readonly externalId: string } | { readonly _tag: "Unresolved"; readonly reason: string }

/**
 * The original id a hashed segment's record names, when it hashes to the segment's name. A folder
 * without its record, or whose record names another id, was not made by the writer (the writer stores
 * the record before the first artifact): its artifacts are reported as unresolved, not as an error that
 * would fail every listing.
 */
export const idOf = (stored: Option.Option<string>, hash: string): RecordedId => {
  if (Option.isNone(stored))
    return { _tag: "Unresolved", reason: `the hashed item folder has no ${ArtifactKey.ITEM_RECORD_NAME}` }
  const record = decode(stored.value)
  if (Option.isNone(record)) {
    return { _tag: "Unresolved", reason: `its ${ArtifactKey.ITEM_RECORD_NAME} is not an item record` }
  }
  return ArtifactKey.hashId(record.value.externalId) === hash
    ? { _tag: "Id", externalId: record.value.externalId }
    : {
        _tag: "Unresolved",
        reason: `its ${ArtifactKey.ITEM_RECORD_NAME} names an id that does not hash to the folder's name`
      }
}

/** A reconcile cannot index an artifact whose id is unresolved: it says so, for the first ten of a batch. */
export const warnUnindexed = (unresolved: ReadonlyArray<UnresolvedArtifact>): Effect.Effect<void> =>
  Effect.forEach(
    unresolved.slice(0, 10),
    (artifact) => Effect.logWarning(`bronze reconcile: ${artifact.location} gets no index line: ${artifact.reason}`),
    { discard: true }
  )
