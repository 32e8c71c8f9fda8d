/**
 * The version of the bronze -> silver mapping, stored on every item row.
 *
 * Bump rule: increase it by one in the same change that alters any row the transform writes for the
 * same bronze bytes (a new column filled, a different text cleanup, another status rule, a fixed
 * extractor). A change that only refactors, or only affects inputs that failed before and still fail
 * with the same reason, keeps it. After a bump, items with `transform_version < TRANSFORM_VERSION` are
 * stale and a backfill re-transforms them from bronze; nothing else has to be migrated by hand.
 */
export const TRANSFORM_VERSION = 4
