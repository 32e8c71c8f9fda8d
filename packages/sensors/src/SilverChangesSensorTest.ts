/**
 * The silver -> gold sensor's double, for tests with no database: the options, ticks and run keys of
 * `SilverChangesSensor.make`, read from `ItemRepo.changes` (silver's commit-safe change feed, which
 * `ItemRepo.layerTest` implements too) instead of PostgreSQL's transaction ids. So a gold sensor runs on
 * `SensorRunner.layerTest` beside `ItemRepo.layerTest`: every item written after the cursor is handed out
 * once per change, in microbatches of `batchSize`, at most `maxRunsPerTick` runs a tick, the rest on the
 * next. A purge is not on the feed (the double has none); `SilverChangesContract` holds the two to the same
 * behaviour for everything written through `ItemRepo`.
 */
import { ItemKey } from "@medallion/bronze"
import { ItemRepo, type RepoError } from "@medallion/silver"
import { Effect, Schema } from "effect"
import * as Sensor from "./Sensor.ts"
import { makeWith, microbatches } from "./SilverChangesSensor.ts"

/** A position in the change feed (`ItemRepo.changes`): after this transaction, after this item id. */
export const Cursor = Schema.Struct({ xid: Schema.String, id: Schema.Number })
export type Cursor = typeof Cursor.Type

export const initial: Cursor = { xid: "0", id: 0 }

/** One tick: the changed items after the cursor, within the tick's budget, in microbatches. */
export const evaluate = (
  options: { readonly batchSize: number },
  cursor: Cursor,
  context: Sensor.EvaluationContext
): Effect.Effect<Sensor.Evaluation<Cursor, ItemKey>, RepoError, ItemRepo> =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    const page = yield* repo.changes(cursor, context.maxRuns * options.batchSize)
    if (page.items.length === 0) return Sensor.skip(`no changed items after ${cursor.xid}/${cursor.id}`, page.next)
    return Sensor.runs(microbatches(page.items, options.batchSize), page.next)
  })

/** A silver -> gold sensor on `ItemRepo`'s change feed, taking `SilverChangesSensor.make`'s options. */
export const make = makeWith({ cursor: Cursor, initial, evaluate })

export { ItemKey }
