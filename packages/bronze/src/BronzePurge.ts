/**
 * The one capability that deletes from bronze, for an operator's purge: record a tombstone first, then
 * remove the item's artifacts. Every step is idempotent, so a purge killed midway completes on rerun.
 * Components that must not delete (the daemons) never require it.
 */
import { Context, type Effect } from "effect"
import type { ArtifactKey, ItemKey } from "./ArtifactKey.ts"
import type { BronzeIoError } from "./BronzeErrors.ts"

/** What was removed: where, its size and its sha256 (never its content). */
export interface RemovedArtifact {
  readonly location: string
  readonly size: number
  readonly sha256: string
}

export interface BronzePurgeShape {
  /** Appends a tombstone line (durably): `purged` blocks the item, `lifted` allows it again. */
  readonly tombstone: (item: ItemKey, state: "purged" | "lifted") => Effect.Effect<void, BronzeIoError>
  /**
   * Deletes every artifact of the item, its id record and its folder; returns what it deleted (an
   * artifact already gone is not listed). Nothing of the item left afterwards; a second call removes nothing.
   */
  readonly removeItem: (item: ItemKey) => Effect.Effect<ReadonlyArray<RemovedArtifact>, BronzeIoError>
  /** Deletes the given artifacts of one item (retention): the others stay. */
  readonly removeArtifacts: (
    keys: ReadonlyArray<ArtifactKey>
  ) => Effect.Effect<ReadonlyArray<RemovedArtifact>, BronzeIoError>
}

export class BronzePurge extends Context.Service<BronzePurge, BronzePurgeShape>()("@medallion/bronze/BronzePurge") {}
