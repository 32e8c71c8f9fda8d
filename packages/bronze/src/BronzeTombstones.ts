/**
 * Tombstones: the items an operator purged from bronze, so that nothing brings them back by itself. The
 * fetch side skips a tombstoned item, the writer refuses its artifacts, and the catalog's consumers (the
 * bronze -> silver sensor, backfill) leave out whatever of it is still listed (index lines stay: the index
 * is append-only). A tombstone is lifted only on purpose (`medallion unpurge`).
 *
 * Read side here (`BronzeTombstones`, for readers and the fetch side); writing them is `BronzePurge`'s.
 */
import { Context, Effect, Option, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import type { BronzeIoError } from "./BronzeErrors.ts"

/** The file at the store's root (the filesystem store) that holds the tombstone lines, append-only. */
export const TOMBSTONES_FILE_NAME = "_tombstones.jsonl"

/** One line: the item purged (`purged`), or its tombstone lifted again (`lifted`); the last line wins. */
export const TombstoneLine = Schema.Struct({
  sourceType: ArtifactKey.SourceType,
  externalId: ArtifactKey.StoredExternalId,
  state: Schema.Literals(["purged", "lifted"]),
  /** Epoch milliseconds (the purging process's Clock). */
  at: Schema.Number
}).annotate({ identifier: "TombstoneLine" })
export type TombstoneLine = typeof TombstoneLine.Type

const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(TombstoneLine))

export const encodeTombstoneLine = (line: TombstoneLine): string =>
  JSON.stringify({ sourceType: line.sourceType, externalId: line.externalId, state: line.state, at: line.at }) + "\n"

/** The one-string name of an item in a tombstone set. */
export const itemId = (item: { readonly sourceType: string; readonly externalId: string }): string =>
  `${item.sourceType}\u0000${item.externalId}`

/**
 * Folds tombstone lines (file order) into the set of purged items. A line that does not parse (a torn
 * last line after a crash) is skipped: a purge records its tombstone before it deletes anything and
 * re-appends it on rerun, so a torn line never stands for a deletion that happened.
 */
export const foldLines = (text: string): ReadonlySet<string> => {
  const purged = new Set<string>()
  for (const raw of text.split("\n")) {
    if (raw.length === 0) continue
    const line = decodeLine(raw)
    if (line._tag === "None") continue
    const id = itemId(line.value)
    if (line.value.state === "purged") purged.add(id)
    else purged.delete(id)
  }
  return purged
}

export interface BronzeTombstonesShape {
  /** The items purged and not lifted, as `itemId`s; re-read only when the tombstones changed. */
  readonly purged: Effect.Effect<ReadonlySet<string>, BronzeIoError>
  readonly isPurged: (item: ArtifactKey.ItemKey) => Effect.Effect<boolean, BronzeIoError>
}

export class BronzeTombstones extends Context.Service<BronzeTombstones, BronzeTombstonesShape>()(
  "@medallion/bronze/BronzeTombstones"
) {}

const NONE: ReadonlySet<string> = new Set()

/**
 * The purged items, for a consumer of the catalog: from the `BronzeTombstones` in context, or none
 * when the store keeps no tombstones (the in-memory store).
 */
export const purgedNow: Effect.Effect<ReadonlySet<string>, BronzeIoError> = Effect.flatMap(
  Effect.serviceOption(BronzeTombstones),
  Option.match({ onNone: () => Effect.succeed(NONE), onSome: (tombstones) => tombstones.purged })
)
