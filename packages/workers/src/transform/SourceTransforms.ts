/**
 * The registry of per-source transforms, keyed by source type. `builtIn` holds `hn`, `feed` and `web`
 * (their code imported on their first item);
 * `extend` adds a user's own (or replaces a built-in one with the same source type).
 */
import * as SpendLedger from "../fetch/SpendLedger.ts"
import type { SourceTransform } from "./SourceTransform.ts"
import { feed, hn, web } from "./BuiltInTransforms.ts"

export type SourceTransforms = ReadonlyMap<string, SourceTransform>

export const make = (transforms: Iterable<SourceTransform>): SourceTransforms =>
  new Map(Array.from(transforms, (t) => [t.sourceType, t] as const))

export const builtIn: SourceTransforms = make([hn, feed, web])

/**
 * Source types the fetch side keeps for its own bookkeeping in bronze (the spend
 * ledger of paid APIs): raw records, but not content items, so they never
 * become silver rows.
 */
export const bookkeeping: ReadonlySet<string> = new Set([SpendLedger.SOURCE_TYPE])

/** `base` with `transforms` added; a transform for a source type already present replaces it. */
export const extend = (base: SourceTransforms, transforms: Iterable<SourceTransform>): SourceTransforms =>
  make([...base.values(), ...transforms])
