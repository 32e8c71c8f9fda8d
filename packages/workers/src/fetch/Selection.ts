/**
 * Which of the items its discovery documents list a source hands on to be fetched: the first `maxItems`
 * ids of the Hacker News lists, the first `maxEntries` entries of a feed. Stored beside the documents as
 * `selected.json` (then `selected@<stamp>.json` when it changed), because only the fetch side knows its
 * limits: with it silver records the items listed beyond the limit as `skipped` with the reason rather
 * than `pending` forever, and as `pending` again once a configuration change brings them within it.
 *
 * Derived, not raw (like `entry.json`): the documents stay as received.
 */
import { Effect } from "effect"
import * as ItemArtifacts from "./ItemArtifacts.ts"

export const NAME = "selected"

export interface SelectionRecord {
  /** How many items the source hands on per discovery. */
  readonly limit: number
  /** The source's setting of that limit, for the reason silver shows (`maxItems`). */
  readonly setting: string
  /** The external ids handed on, in order. */
  readonly items: ReadonlyArray<string>
}

const encoder = new TextEncoder()

/** Stores the selection when it differs from the last one stored; returns the location written, if any. */
export const record = (
  item: { readonly sourceType: string; readonly externalId: string },
  selection: SelectionRecord
) =>
  Effect.gen(function* () {
    const infos = yield* ItemArtifacts.list(item.sourceType, item.externalId)
    const bytes = encoder.encode(JSON.stringify(selection, null, 2) + "\n")
    return yield* ItemArtifacts.putVersionIfChanged(infos, item, NAME, "json", bytes)
  })
