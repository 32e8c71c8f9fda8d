/**
 * A job processes one run: a microbatch of items. The heavy work of a sensor happens here, never in the
 * tick. A job reports the items it could not process instead of failing the whole batch; a failure of the
 * effect itself fails the run (and is retried by the launcher).
 */
import type { Effect, Schema } from "effect"

export interface ItemFailure<Item> {
  readonly item: Item
  readonly reason: string
}

export interface JobResult<Item> {
  readonly failures: ReadonlyArray<ItemFailure<Item>>
}

export interface Job<Item, E = never, R = never> {
  readonly name: string
  /** Items are stored with the run (JSON) and decoded with this schema when a run is relaunched. */
  readonly item: Schema.Codec<Item, unknown>
  readonly run: (items: ReadonlyArray<Item>) => Effect.Effect<JobResult<Item>, E, R>
}

/** Any job, for heterogeneous lists; the item type is checked where the job is made. */
export type AnyJob<R = never> = Job<any, any, R>

export const make = <Item, E = never, R = never>(options: {
  readonly name: string
  readonly item: Schema.Codec<Item, unknown>
  readonly run: (items: ReadonlyArray<Item>) => Effect.Effect<JobResult<Item>, E, R>
}): Job<Item, E, R> => options

/** The result of a job that processed every item. */
export const succeeded: JobResult<never> = { failures: [] }
