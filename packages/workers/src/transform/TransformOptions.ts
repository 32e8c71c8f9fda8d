/**
 * Size limits of the transform, per kind of artifact. An artifact over its limit is not read at all
 * (its size comes from the catalog): the item fails with the reason, in constant memory.
 */
export interface TransformOptions {
  /** HTML pages (default 10 MiB: real articles are well below 2 MiB). */
  readonly maxHtmlBytes: number
  /** JSON artifacts: API items, comment trees, transcripts, LLM pairs (default 64 MiB). */
  readonly maxJsonBytes: number
  /** Feed documents (default 50 MiB). */
  readonly maxFeedBytes: number
}

export const defaultOptions: TransformOptions = {
  maxHtmlBytes: 10 * 1024 * 1024,
  maxJsonBytes: 64 * 1024 * 1024,
  maxFeedBytes: 50 * 1024 * 1024
}
