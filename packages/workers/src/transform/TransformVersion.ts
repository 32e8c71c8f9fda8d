/**
 * Each `SourceTransform` carries its own `version`, stored on every item row it writes, so changing one
 * source's transform makes only that source's items stale (`medallion backfill --stale`).
 *
 * Bump rule for a transform's `version`: increase it by one in the same change that alters any row it
 * writes for the same bronze bytes (a new column filled, a different text cleanup, another status rule,
 * a fixed extractor). A change to what every transform shares (`ItemDraft`, the extractors) bumps the
 * version of each transform whose rows it changes. A change that only refactors, or only affects inputs
 * that failed before and still fail with the same reason, keeps it.
 *
 * `TRANSFORM_VERSION` is what rows get when no transform applies (an item of a source type no plug-in
 * transforms, recorded as failed), and the built-in transforms' version when each got its own.
 */
export const TRANSFORM_VERSION = 4
