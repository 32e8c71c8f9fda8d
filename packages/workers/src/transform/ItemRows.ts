/**
 * What the transform makes of one bronze item: silver's upsert input for the item (its fields,
 * statuses, provenance and child rows) and the items it lists. Plain data, no I/O: the job hands it
 * to silver's repository.
 */
import type { ItemKey } from "@medallion/bronze"
import type { Item } from "@medallion/silver"

/**
 * How the transform of one item ended:
 * - `transformed`: every artifact it needed decoded;
 * - `partial`: the item's main artifact decoded, another did not (a bad newer comment tree, a broken
 *   transcript): the row keeps what could be extracted and says what failed (`transform_status = failed`
 *   with the reason, since the item needs attention);
 * - `failed`: the item's main artifact was bad; the row records the failure and its reason;
 * - `unreadable`: bronze itself could not be read (I/O, a vanished file): no row is written, so a
 *   transient error never replaces what silver holds; the run reports the item as failed, to be retried.
 */
export type TransformOutcome = "transformed" | "partial" | "failed" | "unreadable"

export interface ItemRows {
  readonly key: ItemKey
  readonly outcome: TransformOutcome
  /** Why the outcome is not `transformed`. */
  readonly reason: string | undefined
  /** The item's upsert input; `undefined` for a folder that only holds discovery lists, or when unreadable. */
  readonly item: Item.ItemInput | undefined
  /** Items this one lists (HN top stories, feed entries): silver knows them as `pending` until fetched. */
  readonly discovered: ReadonlyArray<Item.DiscoveredItem>
  /**
   * Statuses for a row silver may already hold, written only if it does: a discovery folder whose
   * failure silver recorded as a row, now discovering again (`ItemDraft.finishDiscovery`).
   */
  readonly ifKnown?: Item.StatusUpdate | undefined
}
