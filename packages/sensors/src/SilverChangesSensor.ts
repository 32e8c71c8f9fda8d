/**
 * The silver -> gold sensor: watches `items` for changed rows with a commit-safe watermark.
 *
 * A `max(id)` or timestamp cursor loses rows whose transactions commit out of order (id 7 commits after
 * id 8 was read and the cursor moved past 7). Every write to `items` stamps the row with its transaction
 * id (`xid xid8`, silver's change feed). The sensor reads only rows with `cursor <= xid < xmin`, where
 * `xmin = pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction still running: every
 * transaction below it has finished, so nothing can still appear there. A long open transaction holds
 * `xmin` back: the cursor stalls behind it and loses nothing. Within the safe range the sensor pages by
 * `(xid, source_type, external_id)`, so a transaction that touched many rows still fits in ticks.
 *
 * Items are `ItemKey`s; a row updated again later gets a newer xid and is seen again (that is a change).
 * A purge is a change too: its finished `purge_log` row stands for the deleted row, so gold drops the item.
 */
import { SilverError } from "@medallion/silver"
import { createHash } from "node:crypto"
import { ItemKey } from "@medallion/bronze"
import { Effect, Schema, type Duration, type Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import type { Job } from "./Job.ts"
import * as Sensor from "./Sensor.ts"

export const Cursor = Schema.Struct({
  /** Rows with `xid >= xmin` are not processed yet (an `xid8`, as decimal text). */
  xmin: Schema.String.check(Schema.isPattern(/^\d{1,20}$/)),
  /** Position within the safe range when the previous tick stopped at its budget. */
  after: Schema.NullOr(Schema.Struct({ xid: Schema.String, sourceType: Schema.String, externalId: Schema.String }))
})
export type Cursor = typeof Cursor.Type

export const initial: Cursor = { xmin: "0", after: null }

/** `pg_snapshot_xmin(...)`, an `xid8`, selected as decimal text. */
const XminRow = Schema.Struct({ hi: Schema.String })

/** A changed item (or purge), its `xid8` selected as decimal text. */
const ChangedRow = Schema.Struct({ sourceType: Schema.String, externalId: Schema.String, xid: Schema.String })

/** The run key of a microbatch: a digest of its rows' changes, so a replayed tick asks for the same runs. */
const runKey = (rows: ReadonlyArray<{ sourceType: string; externalId: string; xid: string }>) => {
  const hash = createHash("sha256")
  for (const line of rows.map((row) => `${row.sourceType}\u0000${row.externalId}\u0000${row.xid}`).sort()) {
    hash.update(line).update("\n")
  }
  return `silver:${hash.digest("hex")}`
}

/** Changed rows in runs of `batchSize`, each item once per run, keyed by `runKey`. */
export const microbatches = (
  rows: ReadonlyArray<{ sourceType: string; externalId: string; xid: string }>,
  batchSize: number
): Array<Sensor.RunRequest<ItemKey>> => {
  const runs: Array<Sensor.RunRequest<ItemKey>> = []
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize)
    const seen = new Set<string>()
    const items = batch
      .filter((row) => {
        const id = `${row.sourceType}\u0000${row.externalId}`
        return seen.has(id) ? false : (seen.add(id), true)
      })
      .map((row) => ({ sourceType: row.sourceType, externalId: row.externalId }))
    runs.push({ runKey: runKey(batch), items })
  }
  return runs
}

/** One tick: the changed items in the safe range, in microbatches. */
export const evaluate = (
  options: { readonly batchSize: number },
  cursor: Cursor,
  context: Sensor.EvaluationContext
): Effect.Effect<Sensor.Evaluation<Cursor, ItemKey>, SqlError, SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const budget = context.maxRuns * options.batchSize
    const { hi } = yield* SqlSchema.findOne({
      Request: Schema.Void,
      Result: XminRow,
      execute: () => sql`select pg_snapshot_xmin(pg_current_snapshot())::text as hi`
    })(undefined).pipe(SilverError.undecodableAsSqlError("SilverChangesSensor.xmin"))
    const after = cursor.after
    // A purged item's row is gone from `items`: its finished purge (`purge_log`) is its change.
    const rows = yield* SqlSchema.findAll({
      Request: Schema.Void,
      Result: ChangedRow,
      execute: () => sql`
        select "sourceType", "externalId", x::text as xid from (
          select source_type as "sourceType", external_id as "externalId", xid as x
          from items
          where xid >= ${cursor.xmin}::xid8 and xid < ${hi}::xid8
            and (${after?.xid ?? null}::xid8 is null
                 or (xid, source_type, external_id) > (${after?.xid ?? null}::xid8, ${after?.sourceType ?? null}::text,
                                                        ${after?.externalId ?? null}::text))
          union all
          select source_type, external_id, xid
          from purge_log
          where state = 'done' and action = 'purge' and xid >= ${cursor.xmin}::xid8 and xid < ${hi}::xid8
            and (${after?.xid ?? null}::xid8 is null
                 or (xid, source_type, external_id) > (${after?.xid ?? null}::xid8, ${after?.sourceType ?? null}::text,
                                                        ${after?.externalId ?? null}::text))
        ) changed
        order by x, "sourceType", "externalId"
        limit ${budget}`
    })(undefined).pipe(SilverError.undecodableAsSqlError("SilverChangesSensor.changes"))
    const last = rows[rows.length - 1]
    const next: Cursor =
      rows.length < budget || last === undefined
        ? { xmin: hi, after: null }
        : { xmin: cursor.xmin, after: { xid: last.xid, sourceType: last.sourceType, externalId: last.externalId } }
    if (rows.length === 0) return Sensor.skip(`no changed items below xmin ${hi}`, next)
    return Sensor.runs(microbatches(rows, options.batchSize), next)
  })

export interface Options<JE, JR> {
  readonly name: string
  readonly job: Job<ItemKey, JE, JR>
  readonly batchSize?: number | undefined
  readonly maxRunsPerTick?: number | undefined
  readonly minInterval?: Duration.Input | undefined
  readonly tickTimeout?: Duration.Input | undefined
  /** E.g. `Wakeups.postgresListen(CHANGED_CHANNEL)`. */
  readonly wake?: Stream.Stream<unknown, never, JR> | undefined
}

/** A silver -> gold sensor on a change feed: its cursor and its evaluation, with `Options`' defaults. */
export const makeWith =
  <C, E, R>(feed: {
    readonly cursor: Schema.Codec<C, unknown>
    readonly initial: C
    readonly evaluate: (
      options: { readonly batchSize: number },
      cursor: C,
      context: Sensor.EvaluationContext
    ) => Effect.Effect<Sensor.Evaluation<C, ItemKey>, E, R>
  }) =>
  <JE, JR>(options: Options<JE, JR>) => {
    const batchSize = options.batchSize ?? 500
    return Sensor.make({
      name: options.name,
      cursor: feed.cursor,
      initial: feed.initial,
      evaluate: (cursor: C, context: Sensor.EvaluationContext) => feed.evaluate({ batchSize }, cursor, context),
      job: options.job,
      maxRunsPerTick: options.maxRunsPerTick ?? 10,
      minInterval: options.minInterval,
      tickTimeout: options.tickTimeout,
      wake: options.wake
    })
  }

/** A silver -> gold sensor running `job` on the items that changed. */
export const make = makeWith({ cursor: Cursor, initial, evaluate })

export { ItemKey }

/** A wake-up signal that needs nothing but the database. */
export type WakeStream = Stream.Stream<unknown, never, SqlClient>
