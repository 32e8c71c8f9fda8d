/**
 * The catalog's data: scan positions and pages, index pages, and the cursor of `changes`.
 * Cursors are Schemas so that a sensor can persist them and decode them back.
 */
import { Schema } from "effect"
import { ArtifactInfo } from "./ArtifactKey.ts"
import type { OnProgress } from "./ReconcileProgress.ts"

/** A point in the scan order: artifacts sort by `(mtimeMs, location)`. */
export const ScanPosition = Schema.Struct({
  mtimeMs: Schema.Number,
  location: Schema.String
}).annotate({ identifier: "ScanPosition" })
export type ScanPosition = typeof ScanPosition.Type

export type ScannedArtifact = ArtifactInfo & {
  readonly mtimeMs: number
  /**
   * True when the store itself put the artifact in place whole (temp file + sync + link, or an atomic
   * object put): it is complete whatever its age. Absent or false: it may have been written in place by
   * another program, and may still be growing, so a consumer waits for it to settle.
   */
  readonly linked?: boolean | undefined
}

export interface ScanOptions {
  /** Only artifacts strictly after this position; from the beginning when absent. */
  readonly after?: ScanPosition | undefined
  /** Page size; memory is O(limit), not O(tree). */
  readonly limit: number
}

/**
 * An artifact whose item folder names no id the store can resolve: a hashed folder without its item
 * record, or with another id's (made by another process, not by the writer). Reported beside the entries
 * so that a consumer can set it aside visibly, instead of an error that would fail every scan.
 */
export interface UnresolvedArtifact {
  readonly location: string
  readonly mtimeMs: number
  readonly reason: string
}

export interface ScanPage {
  /** The `limit` smallest `(mtimeMs, location)` strictly after `after`, sorted ascending. */
  readonly entries: ReadonlyArray<ScannedArtifact>
  /** Artifacts among those `limit` smallest whose id cannot be resolved, sorted ascending (absent: none). */
  readonly unresolved?: ReadonlyArray<UnresolvedArtifact> | undefined
  /** True when no artifact beyond these entries was seen by this walk. */
  readonly complete: boolean
}

export interface TailIndexOptions {
  /** Byte offset to read from (a previous `nextOffset`, or 0). */
  readonly offset: number
  /** The `indexId` the offset belongs to; when the index was replaced the tail restarts at 0. */
  readonly indexId?: string | undefined
  readonly maxEntries: number
}

export interface IndexEntry {
  readonly info: ArtifactInfo
  /** Byte offset just after this entry's line: a cursor that includes it. */
  readonly endOffset: number
}

export interface IndexPage {
  /** Identity of the index file (device, inode, birth time); changes if the file is replaced. */
  readonly indexId: string
  readonly entries: ReadonlyArray<IndexEntry>
  /** Where the next tail starts; never past a torn last line. */
  readonly nextOffset: number
  /** True when `indexId` (or a too-large offset) showed the index was replaced: this page restarted at 0. */
  readonly replaced: boolean
}

/** Identity reported when no index file exists yet. */
export const ABSENT_INDEX_ID = "absent"

/** The cursor of `changes`, in whichever catalog mode the store is configured for. */
export const CatalogCursor = Schema.Union([
  Schema.TaggedStruct("Scan", { after: Schema.optionalKey(ScanPosition) }),
  Schema.TaggedStruct("Index", { offset: Schema.Int, indexId: Schema.optionalKey(Schema.String) })
]).annotate({ identifier: "CatalogCursor" })
export type CatalogCursor = typeof CatalogCursor.Type

export interface ChangesPage {
  readonly entries: ReadonlyArray<ArtifactInfo>
  /** The cursor after these entries. */
  readonly cursor: CatalogCursor
  /** True when the catalog had nothing more at the time of the call. */
  readonly complete: boolean
}

/** What `reconcile` did. */
export interface ReconcileReport {
  /** Artifacts found on storage with no index line, now appended. */
  readonly restoredIndexLines: number
  /** A torn last index line was terminated. */
  readonly repairedTornLine: boolean
  /** Temp files older than the grace period, removed. */
  readonly removedTempFiles: number
  /** Artifacts seen by the walk. */
  readonly scannedArtifacts: number
  /** Artifacts whose id cannot be resolved (see `UnresolvedArtifact`): they get no index line. */
  readonly unresolvedArtifacts?: number | undefined
}

export interface ReconcileOptions {
  /** Only artifacts with `mtimeMs >= since` are checked against the index (default: all). */
  readonly since?: number | undefined
  /** Overrides the configured grace period for temp files. */
  readonly tempGraceMs?: number | undefined
  /** Called as artifacts are checked (after each batch of item folders, or listing page), and once at the end. */
  readonly onProgress?: OnProgress | undefined
}
