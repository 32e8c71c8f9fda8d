/**
 * The sensor the queue tests (and their child worker processes) run: it requests the numbers
 * `0 .. total-1` in runs of `batchSize`, its cursor the next number. Its job records each item in
 * `processed` (how many times, and by which worker) in the run's transaction; an item listed in `poison`
 * makes the run fail with an error, and with `block` every run hangs once it started (to be killed).
 */
import { PgClient } from "@effect/sql-pg"
import { SilverMigrator } from "@medallion/silver"
import { Job, Sensor } from "@medallion/sensors"
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export const SENSOR = "queue.test"

export const make = (options: {
  readonly total: number
  readonly batchSize: number
  readonly worker: string
  readonly block?: boolean | undefined
  readonly onRunStarted?: Effect.Effect<void> | undefined
}) =>
  Sensor.make({
    name: SENSOR,
    cursor: Schema.Struct({ next: Schema.Number }),
    initial: { next: 0 },
    evaluate: (cursor, context) =>
      Effect.sync(() => {
        const runs: Array<Sensor.RunRequest<number>> = []
        let next = cursor.next
        while (next < options.total && runs.length < context.maxRuns) {
          const end = Math.min(next + options.batchSize, options.total)
          runs.push({
            runKey: `items-${next}-${end - 1}`,
            items: Array.from({ length: end - next }, (_, i) => next + i)
          })
          next = end
        }
        return runs.length === 0 ? Sensor.skip("nothing new", cursor) : Sensor.runs(runs, { next })
      }),
    job: Job.make({
      name: "record",
      item: Schema.Number,
      run: (items: ReadonlyArray<number>) =>
        Effect.gen(function* () {
          const sql = yield* SqlClient
          if (options.onRunStarted) yield* options.onRunStarted
          if (options.block) return yield* Effect.never
          const poisoned = yield* sql<{ item: number }>`
            select item from poison where item = any(array(select jsonb_array_elements_text(${JSON.stringify(items)}::jsonb)::int))`
          if (poisoned.length > 0) return yield* Effect.fail(new Error(`poisoned item ${poisoned[0]!.item}`))
          for (const item of items) {
            yield* sql`insert into processed (item, times, worker) values (${item}, 1, ${options.worker})
                       on conflict (item) do update set times = processed.times + 1`
          }
          return Job.succeeded
        }).pipe(Effect.catchTag("SqlError", Effect.die))
    }),
    minInterval: "1 hour"
  })

/** Silver's migrations and the tables the test job writes. */
export const prepare = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* SilverMigrator.run()
  yield* sql`create table processed (item integer primary key, times integer not null, worker text not null)`
  yield* sql`create table poison (item integer primary key)`
})

/** Counts in the queue's and the sensors' tables, for assertions. */
export const counts = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const [row] = yield* sql<{
    jobs: number
    runs: number
    succeeded: number
    failed: number
    processed: number
    twice: number
  }>`
    select (select count(*)::int from graphile_worker._private_jobs) as jobs,
           (select count(*)::int from sensor_runs) as runs,
           (select count(*)::int from sensor_runs where status = 'succeeded') as succeeded,
           (select count(*)::int from sensor_runs where status = 'failed') as failed,
           (select count(*)::int from processed) as processed,
           (select count(*)::int from processed where times <> 1) as twice`
  return row!
})

/** Polls (the test's timeout bounds it) until `check` holds. */
export const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    while (!(yield* check)) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
  })
