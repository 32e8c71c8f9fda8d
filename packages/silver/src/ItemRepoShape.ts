/**
 * The contract of `ItemRepo`: its operations and their queries. Kept apart
 * from the service so that both implementations (PostgreSQL and in-memory)
 * depend on it without depending on each other.
 */
import type { Effect, Option } from "effect"
import type * as Item from "./Item.ts"
import type { RepoError } from "./SilverError.ts"
import type { FetchStatus, TranscriptionStatus, TransformStatus } from "./Status.ts"

export interface StatusQuery {
  readonly sourceType?: string | undefined
  readonly fetchStatus?: FetchStatus | undefined
  readonly transcriptionStatus?: TranscriptionStatus | undefined
  readonly transformStatus?: TransformStatus | undefined
  /** Items with a larger id than this (keyset paging). */
  readonly afterId?: number | undefined
  readonly limit: number
}

export interface StaleQuery {
  readonly sourceType: string
  /** The transform's current version: rows recorded with a lower one are stale. */
  readonly currentVersion: number
  readonly afterId?: number | undefined
  readonly limit: number
}

export interface SearchQuery {
  /**
   * Words, "quoted phrases", `or`, `-excluded` (PostgreSQL's websearch syntax), in any
   * capitalisation; words of scripts without spaces (Chinese, Japanese, Thai, ...) are
   * found inside longer runs of text.
   */
  readonly text: string
  /**
   * Only items in this language, searched with its stemming; default: every language, each
   * item matched with its own language's stemming.
   */
  readonly language?: string | undefined
  readonly sourceType?: string | undefined
  readonly limit: number
  /** Hits to skip (paging: the next page starts at `offset + limit`). */
  readonly offset?: number | undefined
}

export interface ItemRepoShape {
  /**
   * Writes a batch of items (hundreds in one transaction) with their
   * provenance and child rows, replacing what silver held for them. Idempotent:
   * an item identical to the stored one is not written at all (its
   * `updated_at` and change-feed position stay), and a child kind (comments,
   * segments, media, enrichments, artifacts) is rewritten only when it changed.
   * The whole batch is validated first: one invalid item fails the batch with
   * `InvalidItem` and nothing is written.
   */
  readonly upsert: (
    items: ReadonlyArray<Item.ItemInput>
  ) => Effect.Effect<Item.UpsertResult, Item.InvalidItem | RepoError>
  /**
   * Records items seen in a listing as `fetch_status = pending` (or `skipped` with its reason, when the
   * listing says the fetch side will not fetch it). An item silver knows from a listing only (nothing
   * fetched, no artifact) takes the new listing's state, so it moves on when the source's configuration
   * changes; any other known item is left as it is.
   */
  readonly discover: (
    items: ReadonlyArray<Item.DiscoveredItem>
  ) => Effect.Effect<{ readonly discovered: number }, Item.InvalidItem | RepoError>
  /** Changes statuses only (content and child rows stay); returns how many items changed. */
  readonly setStatus: (
    updates: ReadonlyArray<Item.StatusUpdate>
  ) => Effect.Effect<{ readonly updated: number }, Item.InvalidItem | RepoError>
  /** One item with its provenance, comments (thread order), segments, media and enrichments. */
  readonly get: (key: Item.ItemKey) => Effect.Effect<Option.Option<Item.ItemDetail>, RepoError>
  /** How many items per source and combination of statuses. */
  readonly countByStatus: (options?: {
    readonly sourceType?: string | undefined
  }) => Effect.Effect<ReadonlyArray<Item.StatusCount>, RepoError>
  /** Items in the given statuses, by id. */
  readonly listByStatus: (query: StatusQuery) => Effect.Effect<ReadonlyArray<Item.ItemSummary>, RepoError>
  /** Items of a source transformed by an older transform version (a backfill's work list), by id. */
  readonly stale: (query: StaleQuery) => Effect.Effect<ReadonlyArray<Item.ItemSummary>, RepoError>
  /** Full-text search over titles and `body_text`, best matches first, with a snippet of each. */
  readonly search: (query: SearchQuery) => Effect.Effect<ReadonlyArray<Item.SearchHit>, RepoError>
  /**
   * The commit-safe change feed: items written after `cursor`, in commit-safe
   * order. `next` never passes a transaction that is still running, so a
   * row committed late is never skipped.
   */
  readonly changes: (cursor: Item.ChangeCursor, limit: number) => Effect.Effect<Item.ChangePage, RepoError>
}
