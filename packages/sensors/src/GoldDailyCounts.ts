/**
 * The example gold asset, and the pattern to copy for your own: a table derived from silver
 * (`gold_daily_counts(source_type, day, items)`: items per source and UTC day, by published time, or
 * first sight when unpublished), kept fresh by the silver -> gold sensor.
 *
 * The job is idempotent: it recomputes the counts of every source type its microbatch touched, in the
 * run's transaction, so a run replayed after a crash writes the same rows. An advisory lock per source
 * serialises two runs touching one source. Recomputing a whole source is the simple, always-correct
 * choice for an example; a large gold asset would recompute only the touched (source, day) pairs.
 */
import type { ItemKey } from "@medallion/bronze"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Job from "./Job.ts"
import * as SilverChangesSensor from "./SilverChangesSensor.ts"

export const refresh = Effect.fn("GoldDailyCounts.refresh")(function* (sourceTypes: ReadonlyArray<string>) {
  const sql = yield* SqlClient
  const sources = [...new Set(sourceTypes)].sort()
  const list = JSON.stringify(sources)
  yield* sql.withTransaction(
    Effect.gen(function* () {
      for (const source of sources) {
        yield* sql`select pg_advisory_xact_lock(hashtext(${`gold_daily_counts:${source}`}))`
      }
      yield* sql`delete from gold_daily_counts
                 where source_type = any(array(select jsonb_array_elements_text(${list}::jsonb)))`
      yield* sql`
        insert into gold_daily_counts (source_type, day, items, updated_at)
        select source_type, (coalesce(published_at, created_at) at time zone 'UTC')::date, count(*), now()
        from items
        where source_type = any(array(select jsonb_array_elements_text(${list}::jsonb)))
        group by 1, 2`
    })
  )
})

export const job = Job.make({
  name: "gold_daily_counts",
  item: SilverChangesSensor.ItemKey,
  run: (items: ReadonlyArray<ItemKey>) =>
    refresh(items.map((item) => item.sourceType)).pipe(Effect.as({ failures: [] }))
})

/** The sensor that keeps `gold_daily_counts` fresh. */
export const sensor = (options: { readonly name?: string; readonly wake?: SilverChangesSensor.WakeStream } = {}) =>
  SilverChangesSensor.make({ name: options.name ?? "gold.daily_counts", job, wake: options.wake })
