/**
 * The job the bronze -> silver sensor runs: for one microbatch of item keys, transform each (bounded
 * concurrency), write every row in one batch through silver's `ItemRepo`, record listed items as
 * `pending`, and report the items that did not transform cleanly with their reason.
 *
 * Its requirements are `BronzeReader` and `ItemRepo`: it cannot write bronze.
 */
import { Effect, Schema } from "effect"
import { type BronzeReader, ItemKey } from "@medallion/bronze"
import { Item, ItemRepo, type DatabaseError, type DatabaseUnavailable } from "@medallion/silver"
import type { ItemRows } from "./ItemRows.ts"
import * as SourceTransforms from "./SourceTransforms.ts"
import { transformItemWith } from "./Transform.ts"
import { defaultOptions, type TransformOptions } from "./TransformOptions.ts"

/** An item the batch did not transform cleanly, and why (the sensors' `Job` failure shape). */
export interface ItemFailure {
  readonly item: ItemKey
  readonly reason: string
}

export const DEFAULT_JOB_NAME = "bronze-to-silver"
export const DEFAULT_CONCURRENCY = 4

export interface TransformJobOptions {
  readonly name?: string | undefined
  /** The per-source transforms (default: the built-in `hn`, `feed`, `web`). */
  readonly transforms?: SourceTransforms.SourceTransforms | undefined
  readonly limits?: TransformOptions | undefined
  /** Items transformed at once (default 4: extraction is CPU-bound, the reads are I/O). */
  readonly concurrency?: number | undefined
}

export interface BatchReport {
  readonly rows: ReadonlyArray<ItemRows>
  readonly failures: ReadonlyArray<ItemFailure>
  readonly upserted: Item.UpsertResult
  readonly discovered: number
}

const isItemInput = Schema.is(Item.ItemInput)
const isDiscovered = Schema.is(Item.DiscoveredItem)
const keyOf = (k: { readonly sourceType: string; readonly externalId: string }) =>
  `${k.sourceType}\u0000${k.externalId}`

/**
 * Writes a batch of rows. Every row is checked against silver's input schema first (an external id
 * longer than silver keeps, a bad language tag): an invalid row is reported, the others are written.
 * Should silver still refuse one (`InvalidItem`), that item is set aside and the batch written again.
 */
export const writeRows = Effect.fn("TransformJob.writeRows")(function* (rows: ReadonlyArray<ItemRows>) {
  const repo = yield* ItemRepo
  const failures: Array<ItemFailure> = []
  const inputs: Array<Item.ItemInput> = []
  const discovered = new Map<string, Item.DiscoveredItem>()
  for (const row of rows) {
    if (row.outcome !== "transformed") failures.push({ item: row.key, reason: `${row.outcome}: ${row.reason ?? ""}` })
    if (row.item !== undefined) {
      if (isItemInput(row.item)) inputs.push(row.item)
      else if (row.outcome === "transformed") {
        failures.push({
          item: row.key,
          reason: "invalid: silver cannot hold this item (an id or field out of its bounds)"
        })
      }
    }
    for (const d of row.discovered) if (isDiscovered(d)) discovered.set(keyOf(d), d)
  }
  const upserted = yield* withoutRefused(inputs, repo.upsert, failures)
  const listed = yield* withoutRefused(Array.from(discovered.values()), repo.discover, failures)
  return {
    failures,
    upserted: upserted ?? { inserted: 0, updated: 0, unchanged: 0 },
    discovered: listed?.discovered ?? 0
  }
})

/**
 * Writes a batch; should silver refuse an item of it (`InvalidItem`), that item is reported and the rest
 * written again, so one bad item never stops the others. `undefined` when nothing was left to write.
 */
const withoutRefused = <I extends { readonly sourceType: string; readonly externalId: string }, A, E, R>(
  batch: ReadonlyArray<I>,
  write: (batch: ReadonlyArray<I>) => Effect.Effect<A, E | Item.InvalidItem, R>,
  failures: Array<ItemFailure>
): Effect.Effect<A | undefined, Exclude<E, Item.InvalidItem>, R> =>
  Effect.gen(function* () {
    let rest = batch
    while (rest.length > 0) {
      const result = yield* write(rest).pipe(
        Effect.map((done) => ({ _tag: "Done" as const, done })),
        Effect.catchIf(
          (e): e is Item.InvalidItem => e instanceof Item.InvalidItem,
          (refused) => Effect.succeed({ _tag: "Refused" as const, refused })
        )
      )
      if (result._tag === "Done") return result.done
      const bad = keyOf(result.refused)
      const before = rest.length
      rest = rest.filter((i) => keyOf(i) !== bad)
      // silver named an item that is not in the batch: setting nothing aside would loop.
      if (rest.length === before) return yield* Effect.die(result.refused)
      failures.push({
        item: { sourceType: result.refused.sourceType, externalId: result.refused.externalId },
        reason: `invalid: ${result.refused.message}`
      })
    }
    return undefined
  }) as Effect.Effect<A | undefined, Exclude<E, Item.InvalidItem>, R>

/** Transforms a batch and writes it: the job's work, also usable without a sensor (a backfill). */
export const runBatch = (
  items: ReadonlyArray<ItemKey>,
  options: TransformJobOptions = {}
): Effect.Effect<BatchReport, DatabaseUnavailable | DatabaseError, BronzeReader | ItemRepo> =>
  Effect.gen(function* () {
    const unique = new Map<string, ItemKey>()
    for (const item of items) unique.set(keyOf(item), item)
    const transform = transformItemWith(
      options.transforms ?? SourceTransforms.builtIn,
      options.limits ?? defaultOptions
    )
    const rows = yield* Effect.forEach(unique.values(), transform, {
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY
    })
    const written = yield* writeRows(rows)
    return { rows, ...written }
  }).pipe(Effect.withSpan("TransformJob.runBatch", { attributes: { items: items.length } }))

/**
 * The bronze -> silver job for the sensor runtime, in the shape of the sensors' `Job` (`name`, `item`
 * schema, `run`): pass it to `Sensor.make({ job })`.
 */
export const make = (options: TransformJobOptions = {}) => ({
  name: options.name ?? DEFAULT_JOB_NAME,
  item: ItemKey,
  run: (items: ReadonlyArray<ItemKey>) =>
    Effect.map(runBatch(items, options), (report): { readonly failures: ReadonlyArray<ItemFailure> } => ({
      failures: report.failures
    }))
})
