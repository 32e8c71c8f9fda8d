import { Duration } from "effect"

/**
 * Limits of the transform. Size limits per kind of artifact: an artifact over its limit is not read at
 * all (its size comes from the catalog), the item fails with the reason, in constant memory. A time
 * limit per extraction: one over it fails with `extract-timeout` (enforced by an `ExtractPool`).
 */
export interface TransformOptions {
  /** HTML pages (default 10 MiB: real articles are well below 2 MiB). */
  readonly maxHtmlBytes: number
  /** JSON artifacts: API items, comment trees, transcripts, LLM pairs (default 64 MiB). */
  readonly maxJsonBytes: number
  /** Feed documents (default 50 MiB). */
  readonly maxFeedBytes: number
  /** The time budget of one artifact's extraction (default 5 seconds). */
  readonly extractTimeout?: Duration.Input | undefined
  /** The version stored on the rows: the item's transform's own (set by `transformItemWith`). */
  readonly transformVersion?: number | undefined
}

export const DEFAULT_EXTRACT_TIMEOUT = Duration.seconds(5)

export const defaultOptions: TransformOptions = {
  maxHtmlBytes: 10 * 1024 * 1024,
  maxJsonBytes: 64 * 1024 * 1024,
  maxFeedBytes: 50 * 1024 * 1024,
  extractTimeout: DEFAULT_EXTRACT_TIMEOUT
}
