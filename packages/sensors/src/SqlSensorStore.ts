/**
 * `SensorStore` on silver's tables (`sensor_state`, `sensor_ticks`, `sensor_runs`, created by silver's
 * migration sequence). It speaks SQL directly rather than through silver's `SensorStateRepo` because the
 * hand-off needs the lease row locked inside the tick's own transaction, and the lease columns come with
 * the sensors' migration.
 *
 * Lease times use the database clock (`clock_timestamp()`), so processes on machines with skewed clocks
 * still agree on when a lease expired.
 */
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { PgText } from "@medallion/silver"
import { LeaseLost, SensorStoreError } from "./SensorErrors.ts"
import {
  QUARANTINE_PREFIX,
  SensorStore,
  type SensorStoreShape,
  type StoredRun,
  type StoredTick
} from "./SensorStore.ts"

interface RunRow {
  readonly sensor: string
  readonly runKey: string
  readonly status: StoredRun["status"]
  readonly attempts: number
  readonly items: ReadonlyArray<unknown>
  readonly error: string | null
  readonly failures: StoredRun["failures"]
}

interface TickRow {
  readonly id: string | number
  readonly sensor: string
  readonly status: StoredTick["status"]
  readonly reason: string | null
  readonly cursorBefore: unknown
  readonly cursorAfter: unknown
  readonly runKeys: ReadonlyArray<string>
  readonly runCount: number
  readonly durationMs: number | null
}

const parseJson = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value)

const toRun = (row: RunRow): StoredRun => ({
  sensor: row.sensor,
  runKey: row.runKey,
  status: row.status,
  attempts: row.attempts,
  items: parseJson(row.items) as ReadonlyArray<unknown>,
  error: row.error,
  failures: parseJson(row.failures) as StoredRun["failures"]
})

const RUN_COLUMNS = `sensor, run_key as "runKey", status, attempts, item_keys as "items", error, failures`

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient

  const wrap =
    (operation: string) =>
    <A, E, R>(
      effect: Effect.Effect<A, E | SqlError, R>
    ): Effect.Effect<A, Exclude<E, SqlError> | SensorStoreError, R> =>
      Effect.catchTag(effect as Effect.Effect<A, SqlError, R>, "SqlError", (cause) =>
        Effect.fail(new SensorStoreError({ operation, cause }))
      ) as Effect.Effect<A, Exclude<E, SqlError> | SensorStoreError, R>

  const json = (value: unknown) => JSON.stringify(value ?? null)
  // Reasons and errors are free text: what PostgreSQL cannot store in them (U+0000, lone surrogates) is
  // repaired (see silver's PgText). Run items and cursors are not: changing them would name other items;
  // the runner sets aside what cannot be stored before it comes here.
  const text = (value: string | null) => (value === null ? null : PgText.repair(value))
  const reasons = (value: unknown) => JSON.stringify(PgText.repairJson(value ?? null))

  const acquireLease: SensorStoreShape["acquireLease"] = (sensor, owner, ttlMs, initialCursor) =>
    sql<{ sensor: string }>`
      insert into sensor_state (sensor, cursor, lease_owner, lease_expires_at, updated_at)
      values (${sensor}, ${json(initialCursor)}::jsonb, ${owner},
              clock_timestamp() + ${ttlMs} * interval '1 millisecond', now())
      on conflict (sensor) do update
        set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
        where sensor_state.lease_owner is null
           or sensor_state.lease_owner = excluded.lease_owner
           or sensor_state.lease_expires_at is null
           or sensor_state.lease_expires_at < clock_timestamp()
      returning sensor`.pipe(
      Effect.map((rows) => rows.length === 1),
      wrap("acquireLease")
    )

  const renewLease: SensorStoreShape["renewLease"] = (sensor, owner, ttlMs) =>
    sql<{ sensor: string }>`
      update sensor_state set lease_expires_at = clock_timestamp() + ${ttlMs} * interval '1 millisecond'
      where sensor = ${sensor} and lease_owner = ${owner} and lease_expires_at > clock_timestamp()
      returning sensor`.pipe(
      Effect.map((rows) => rows.length === 1),
      wrap("renewLease")
    )

  const releaseLease: SensorStoreShape["releaseLease"] = (sensor, owner) =>
    sql`update sensor_state set lease_owner = null, lease_expires_at = null
        where sensor = ${sensor} and lease_owner = ${owner}`.pipe(Effect.asVoid, wrap("releaseLease"))

  const assertOwner: SensorStoreShape["assertOwner"] = (sensor, owner) =>
    sql<{ sensor: string }>`
      select sensor from sensor_state
      where sensor = ${sensor} and lease_owner = ${owner} and lease_expires_at > clock_timestamp()
      for update`.pipe(
      wrap("assertOwner"),
      Effect.flatMap((rows) => (rows.length === 1 ? Effect.void : Effect.fail(new LeaseLost({ sensor, owner }))))
    )

  const getCursor: SensorStoreShape["getCursor"] = (sensor) =>
    sql<{ cursor: unknown }>`select cursor from sensor_state where sensor = ${sensor}`.pipe(
      // JSON null: a row made by `setPaused` for a sensor that never ran.
      Effect.map((rows) =>
        Option.filter(
          Option.map(Option.fromUndefinedOr(rows[0]), (row) => parseJson(row.cursor)),
          (c) => c !== null
        )
      ),
      wrap("getCursor")
    )

  const isPaused: SensorStoreShape["isPaused"] = (sensor) =>
    sql<{ paused: boolean }>`select paused from sensor_state where sensor = ${sensor}`.pipe(
      Effect.map((rows) => rows[0]?.paused === true),
      wrap("isPaused")
    )

  // A sensor that never ran has no row yet: pausing it creates one with the cursor unset (JSON null).
  const setPaused: SensorStoreShape["setPaused"] = (sensor, paused) =>
    sql`insert into sensor_state (sensor, cursor, paused) values (${sensor}, 'null'::jsonb, ${paused})
        on conflict (sensor) do update set paused = excluded.paused, updated_at = now()`.pipe(
      Effect.asVoid,
      wrap("setPaused")
    )

  const putCursor: SensorStoreShape["putCursor"] = (sensor, owner, cursor) =>
    sql<{ sensor: string }>`
      update sensor_state set cursor = ${json(cursor)}::jsonb, updated_at = now()
      where sensor = ${sensor} and lease_owner = ${owner} and lease_expires_at > clock_timestamp()
      returning sensor`.pipe(
      wrap("putCursor"),
      Effect.flatMap((rows) => (rows.length === 1 ? Effect.void : Effect.fail(new LeaseLost({ sensor, owner }))))
    )

  const startTick: SensorStoreShape["startTick"] = (sensor, cursorBefore) =>
    sql<{ id: string | number }>`
      insert into sensor_ticks (sensor, status, cursor_before, started_at)
      values (${sensor}, 'started', ${json(cursorBefore)}::jsonb, clock_timestamp())
      returning id`.pipe(
      Effect.map((rows) => Number(rows[0]!.id)),
      wrap("startTick")
    )

  const finishTick: SensorStoreShape["finishTick"] = (id, outcome) =>
    sql`
      update sensor_ticks set
        status = ${outcome.status},
        reason = ${text(outcome.reason)},
        cursor_after = ${json(outcome.cursorAfter)}::jsonb,
        run_keys = array(select jsonb_array_elements_text(${json(outcome.runKeys)}::jsonb)),
        run_count = ${outcome.runKeys.length},
        finished_at = clock_timestamp(),
        duration_ms = ${Math.round(outcome.durationMs)}
      where id = ${id}`.pipe(Effect.asVoid, wrap("finishTick"))

  const abandonTicks: SensorStoreShape["abandonTicks"] = (sensor, reason) =>
    sql<{ id: string }>`
      update sensor_ticks set status = 'failed', reason = ${text(reason)}, finished_at = clock_timestamp(),
        duration_ms = greatest(0, extract(epoch from clock_timestamp() - started_at) * 1000)::int
      where sensor = ${sensor} and status = 'started'
      returning id`.pipe(
      Effect.map((rows) => rows.length),
      wrap("abandonTicks")
    )

  const recentTicks: SensorStoreShape["recentTicks"] = (sensor, limit) =>
    sql<TickRow>`
      select id, sensor, status, reason, cursor_before as "cursorBefore", cursor_after as "cursorAfter",
             run_keys as "runKeys", run_count as "runCount", duration_ms as "durationMs"
      from sensor_ticks where sensor = ${sensor}
      order by started_at desc, id desc limit ${limit}`.pipe(
      Effect.map((rows) =>
        rows.map((row): StoredTick => ({
          ...row,
          id: Number(row.id),
          cursorBefore: parseJson(row.cursorBefore),
          cursorAfter: parseJson(row.cursorAfter)
        }))
      ),
      wrap("recentTicks")
    )

  const existingRunKeys: SensorStoreShape["existingRunKeys"] = (sensor, runKeys) =>
    runKeys.length === 0
      ? Effect.succeed(new Set<string>())
      : sql<{ runKey: string }>`
          select run_key as "runKey" from sensor_runs
          where sensor = ${sensor}
            and run_key = any(array(select jsonb_array_elements_text(${json(runKeys)}::jsonb)))`.pipe(
          Effect.map((rows) => new Set(rows.map((row) => row.runKey))),
          wrap("existingRunKeys")
        )

  const insertRuns: SensorStoreShape["insertRuns"] = (sensor, runs) =>
    runs.length === 0
      ? Effect.void
      : sql`
          insert into sensor_runs (sensor, run_key, status, item_keys, requested_at)
          select ${sensor}, r->>'runKey', 'requested', r->'items', clock_timestamp()
          from jsonb_array_elements(${json(runs.map((run) => ({ runKey: run.runKey, items: run.items })))}::jsonb) r
          on conflict (sensor, run_key) do nothing`.pipe(Effect.asVoid, wrap("insertRuns"))

  const insertFailedRuns: SensorStoreShape["insertFailedRuns"] = (sensor, runs) =>
    runs.length === 0
      ? Effect.void
      : sql`
          insert into sensor_runs (sensor, run_key, status, item_keys, error, failures, requested_at, finished_at)
          select ${sensor}, r->>'runKey', 'failed', r->'items', r->>'error', r->'failures', clock_timestamp(),
                 clock_timestamp()
          from jsonb_array_elements(${reasons(runs)}::jsonb) r
          on conflict (sensor, run_key) do nothing`.pipe(Effect.asVoid, wrap("insertFailedRuns"))

  const updateRun: SensorStoreShape["updateRun"] = (sensor, runKey, update) => {
    const setError = update.error !== undefined
    const setFailures = update.failures !== undefined
    const statement =
      update.status === "running"
        ? sql`update sensor_runs set status = 'running', attempts = attempts + 1, started_at = clock_timestamp(),
                finished_at = null
              where sensor = ${sensor} and run_key = ${runKey}`
        : update.status === "requested"
          ? sql`update sensor_runs set status = 'requested', finished_at = null
                where sensor = ${sensor} and run_key = ${runKey}`
          : sql`update sensor_runs set status = ${update.status}, finished_at = clock_timestamp(),
                  error = case when ${setError} then ${text(update.error ?? null)}::text else error end,
                  failures = case when ${setFailures} then ${reasons(update.failures ?? [])}::jsonb else failures end
                where sensor = ${sensor} and run_key = ${runKey}`
    return statement.pipe(Effect.asVoid, wrap("updateRun"))
  }

  const getRun: SensorStoreShape["getRun"] = (sensor, runKey) =>
    sql<RunRow>`select ${sql.literal(RUN_COLUMNS)} from sensor_runs
                where sensor = ${sensor} and run_key = ${runKey}`.pipe(
      Effect.map((rows) => Option.map(Option.fromUndefinedOr(rows[0]), toRun)),
      wrap("getRun")
    )

  const unfinishedRuns: SensorStoreShape["unfinishedRuns"] = (sensor) =>
    sql<RunRow>`select ${sql.literal(RUN_COLUMNS)} from sensor_runs
                where sensor = ${sensor} and status in ('requested', 'running')
                order by requested_at, run_key`.pipe(
      Effect.map((rows) => rows.map(toRun)),
      wrap("unfinishedRuns")
    )

  const resetFailedRuns: SensorStoreShape["resetFailedRuns"] = (sensor, runKey) =>
    sql<RunRow>`update sensor_runs set status = 'requested', finished_at = null
                where sensor = ${sensor} and status = 'failed' and not starts_with(run_key, ${QUARANTINE_PREFIX})
                  and (${runKey ?? null}::text is null or run_key = ${runKey ?? null}::text)
                returning ${sql.literal(RUN_COLUMNS)}`.pipe(
      Effect.map((rows) => rows.map(toRun)),
      wrap("resetFailedRuns")
    )

  const prune: SensorStoreShape["prune"] = ({ keepTicks, runMaxAgeMs }) =>
    Effect.gen(function* () {
      const [ticks] = yield* sql<{ count: string | number }>`
        select prune_sensor_ticks(${keepTicks}, null) as count`
      const [runs] = yield* sql<{ count: string | number }>`
        select prune_sensor_runs(now() - ${runMaxAgeMs} * interval '1 millisecond',
                                 now() - ${runMaxAgeMs} * interval '1 millisecond') as count`
      return { ticks: Number(ticks!.count), runs: Number(runs!.count) }
    }).pipe(wrap("prune"))

  const withTransaction: SensorStoreShape["withTransaction"] = (self) => wrap("transaction")(sql.withTransaction(self))

  return SensorStore.of({
    acquireLease,
    renewLease,
    releaseLease,
    assertOwner,
    getCursor,
    isPaused,
    setPaused,
    putCursor,
    startTick,
    finishTick,
    abandonTicks,
    recentTicks,
    existingRunKeys,
    insertRuns,
    insertFailedRuns,
    updateRun,
    getRun,
    unfinishedRuns,
    resetFailedRuns,
    prune,
    withTransaction
  })
})

/** The store on the database of the `SqlClient` in context (migrated with silver's sequence). */
export const layer: Layer.Layer<SensorStore, never, SqlClient> = Layer.effect(SensorStore, make)
