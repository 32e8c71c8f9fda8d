/**
 * `SensorStore` on silver's tables (`sensor_state`, `sensor_ticks`, `sensor_runs`, created by silver's
 * migration sequence): the one service over them, so the runner, the queue and the CLI share one model
 * of a sensor's state. Rows read back are decoded with Schema (`SqlSchema`): a row that does not match
 * fails the operation with a `SensorStoreError` naming the column, rather than passing on as a cast.
 *
 * Lease times use the database clock (`clock_timestamp()`), so processes on machines with skewed clocks
 * still agree on when a lease expired.
 */
import { Cause, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import * as SqlSchema from "effect/sql/SqlSchema"
import { PgText, type SilverError } from "@medallion/silver"
import { LeaseLost, SensorStoreError } from "./SensorErrors.ts"
import { QUARANTINE_PREFIX, SensorStore, type SensorStoreShape, type StoredTick } from "./SensorStore.ts"

/** A jsonb column: the driver hands it over parsed, or as its JSON text. */
const Jsonb = <S extends Schema.Top>(schema: S) => Schema.Union([Schema.fromJsonString(schema), schema])
/** A bigint column, selected as text (`id::text`): the driver gives a bigint as a JS `bigint`. */
const BigIntId = Schema.NumberFromString
const Failure = Schema.Struct({ item: Schema.Unknown, reason: Schema.String })

const RunRow = Schema.Struct({
  sensor: Schema.String,
  runKey: Schema.String,
  status: Schema.Literals(["requested", "running", "succeeded", "failed"]),
  attempts: Schema.Int,
  items: Jsonb(Schema.Array(Schema.Unknown)),
  error: Schema.NullOr(Schema.String),
  failures: Jsonb(Schema.Array(Failure))
})

const TickRow = Schema.Struct({
  id: BigIntId,
  sensor: Schema.String,
  status: Schema.Literals(["started", "success", "skipped", "failed"]),
  reason: Schema.NullOr(Schema.String),
  cursorBefore: Schema.Unknown,
  cursorAfter: Schema.Unknown,
  runKeys: Schema.Array(Schema.String),
  runCount: Schema.Int,
  durationMs: Schema.NullOr(Schema.Number)
})

const StateRow = Schema.Struct({
  sensor: Schema.String,
  paused: Schema.Boolean,
  leaseOwner: Schema.NullOr(Schema.String),
  leaseExpiresAt: Schema.NullOr(Schema.Date),
  cursor: Schema.Unknown
})

const Sensor = Schema.Struct({ sensor: Schema.String })
const SensorRun = Schema.Struct({ sensor: Schema.String, runKey: Schema.String })
const SensorOwner = Schema.Struct({ sensor: Schema.String, owner: Schema.String })
const TickId = Schema.Struct({ id: BigIntId })
const RunKey = Schema.Struct({ runKey: Schema.String })
/** What a retention function returns (a bigint count, selected as text). */
const Pruned = Schema.Struct({ count: Schema.NumberFromString })

const parseJson = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value)

const RUN_COLUMNS = `sensor, run_key as "runKey", status, attempts, item_keys as "items", error, failures`

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient

  // A row that does not decode (or no row where one is due) fails the operation like a failed statement.
  const wrap =
    (operation: string) =>
    <A, E, R>(
      effect: Effect.Effect<A, E | SqlError | SilverError.Unread, R>
    ): Effect.Effect<A, Exclude<E, SqlError | SilverError.Unread> | SensorStoreError, R> =>
      Effect.catchIf(
        effect as Effect.Effect<A, SqlError | SilverError.Unread, R>,
        (error) => isSqlError(error) || Schema.isSchemaError(error) || Cause.isNoSuchElementError(error),
        (cause) => Effect.fail(new SensorStoreError({ operation, cause }))
      ) as Effect.Effect<A, Exclude<E, SqlError | SilverError.Unread> | SensorStoreError, R>

  const json = (value: unknown) => JSON.stringify(value ?? null)
  // Reasons and errors are free text: what PostgreSQL cannot store in them (U+0000, lone surrogates) is
  // repaired (see silver's PgText). Run items and cursors are not: changing them would name other items;
  // the runner sets aside what cannot be stored before it comes here.
  const text = (value: string | null) => (value === null ? null : PgText.repair(value))
  const reasons = (value: unknown) => JSON.stringify(PgText.repairJson(value ?? null))

  // The statements of the tick and of the hand-off are built once, not per call.
  const insertOrTakeLease = SqlSchema.findAll({
    Request: Schema.Struct({
      sensor: Schema.String,
      owner: Schema.String,
      ttlMs: Schema.Number,
      initialCursor: Schema.Unknown
    }),
    Result: Sensor,
    execute: (request) => sql`
      insert into sensor_state (sensor, cursor, lease_owner, lease_expires_at, updated_at)
      values (${request.sensor}, ${json(request.initialCursor)}::jsonb, ${request.owner},
              clock_timestamp() + ${request.ttlMs} * interval '1 millisecond', now())
      on conflict (sensor) do update
        set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
        where sensor_state.lease_owner is null
           or sensor_state.lease_owner = excluded.lease_owner
           or sensor_state.lease_expires_at is null
           or sensor_state.lease_expires_at < clock_timestamp()
      returning sensor`
  })

  const acquireLease: SensorStoreShape["acquireLease"] = (sensor, owner, ttlMs, initialCursor) =>
    insertOrTakeLease({ sensor, owner, ttlMs, initialCursor }).pipe(
      Effect.map((rows) => rows.length === 1),
      wrap("acquireLease")
    )

  const extendLease = SqlSchema.findAll({
    Request: Schema.Struct({ sensor: Schema.String, owner: Schema.String, ttlMs: Schema.Number }),
    Result: Sensor,
    execute: (request) => sql`
      update sensor_state set lease_expires_at = clock_timestamp() + ${request.ttlMs} * interval '1 millisecond'
      where sensor = ${request.sensor} and lease_owner = ${request.owner} and lease_expires_at > clock_timestamp()
      returning sensor`
  })

  const renewLease: SensorStoreShape["renewLease"] = (sensor, owner, ttlMs) =>
    extendLease({ sensor, owner, ttlMs }).pipe(
      Effect.map((rows) => rows.length === 1),
      wrap("renewLease")
    )

  const releaseLease: SensorStoreShape["releaseLease"] = (sensor, owner) =>
    sql`update sensor_state set lease_owner = null, lease_expires_at = null
        where sensor = ${sensor} and lease_owner = ${owner}`.pipe(Effect.asVoid, wrap("releaseLease"))

  const lockOwned = SqlSchema.findAll({
    Request: SensorOwner,
    Result: Sensor,
    execute: (request) => sql`
      select sensor from sensor_state
      where sensor = ${request.sensor} and lease_owner = ${request.owner} and lease_expires_at > clock_timestamp()
      for update`
  })

  const assertOwner: SensorStoreShape["assertOwner"] = (sensor, owner) =>
    lockOwned({ sensor, owner }).pipe(
      wrap("assertOwner"),
      Effect.flatMap((rows) => (rows.length === 1 ? Effect.void : Effect.fail(new LeaseLost({ sensor, owner }))))
    )

  const findState = SqlSchema.findOneOption({
    Request: Sensor,
    Result: StateRow,
    execute: ({ sensor }) =>
      sql`select sensor, paused, lease_owner, lease_expires_at, cursor from sensor_state where sensor = ${sensor}`
  })

  const getCursor: SensorStoreShape["getCursor"] = (sensor) =>
    findState({ sensor }).pipe(
      // JSON null: a row made by `setPaused` for a sensor that never ran, or a reset cursor.
      Effect.map((row) =>
        Option.filter(
          Option.map(row, (state) => parseJson(state.cursor)),
          (c) => c !== null
        )
      ),
      wrap("getCursor")
    )

  const isPaused: SensorStoreShape["isPaused"] = (sensor) =>
    findState({ sensor }).pipe(
      Effect.map((row) => Option.isSome(row) && row.value.paused),
      wrap("isPaused")
    )

  const listSensors: SensorStoreShape["listSensors"] = SqlSchema.findAll({
    Request: Schema.Void,
    Result: StateRow,
    execute: () => sql`select sensor, paused, lease_owner, lease_expires_at, cursor from sensor_state order by sensor`
  })(undefined).pipe(
    Effect.map((rows) => rows.map((row) => ({ ...row, cursor: parseJson(row.cursor) }))),
    wrap("listSensors")
  )

  // Refused while a live daemon owns the sensor: its in-memory position would overwrite the reset.
  const resetCursor: SensorStoreShape["resetCursor"] = (sensor) =>
    Effect.gen(function* () {
      const reset = yield* sql`
        update sensor_state set cursor = 'null'::jsonb, updated_at = now()
        where sensor = ${sensor} and (lease_expires_at is null or lease_expires_at < clock_timestamp())
        returning sensor`
      if (reset.length === 1) return { _tag: "Reset" } as const
      const state = yield* findState({ sensor })
      if (Option.isNone(state)) return { _tag: "NoState" } as const
      return { _tag: "Owned", owner: state.value.leaseOwner ?? "an unknown owner" } as const
    }).pipe(wrap("resetCursor"))

  // A sensor that never ran has no row yet: pausing it creates one with the cursor unset (JSON null).
  const setPaused: SensorStoreShape["setPaused"] = (sensor, paused) =>
    sql`insert into sensor_state (sensor, cursor, paused) values (${sensor}, 'null'::jsonb, ${paused})
        on conflict (sensor) do update set paused = excluded.paused, updated_at = now()`.pipe(
      Effect.asVoid,
      wrap("setPaused")
    )

  const writeCursor = SqlSchema.findAll({
    Request: Schema.Struct({ sensor: Schema.String, owner: Schema.String, cursor: Schema.Unknown }),
    Result: Sensor,
    execute: (request) => sql`
      update sensor_state set cursor = ${json(request.cursor)}::jsonb, updated_at = now()
      where sensor = ${request.sensor} and lease_owner = ${request.owner} and lease_expires_at > clock_timestamp()
      returning sensor`
  })

  const putCursor: SensorStoreShape["putCursor"] = (sensor, owner, cursor) =>
    writeCursor({ sensor, owner, cursor }).pipe(
      wrap("putCursor"),
      Effect.flatMap((rows) => (rows.length === 1 ? Effect.void : Effect.fail(new LeaseLost({ sensor, owner }))))
    )

  const insertTick = SqlSchema.findAll({
    Request: Schema.Struct({ sensor: Schema.String, cursorBefore: Schema.Unknown }),
    Result: TickId,
    execute: (request) => sql`
      insert into sensor_ticks (sensor, status, cursor_before, started_at)
      values (${request.sensor}, 'started', ${json(request.cursorBefore)}::jsonb, clock_timestamp())
      returning id::text as id`
  })

  const startTick: SensorStoreShape["startTick"] = (sensor, cursorBefore) =>
    // An insert ... returning gives its one row.
    insertTick({ sensor, cursorBefore }).pipe(
      Effect.map((rows) => rows[0]!.id),
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
    SqlSchema.findAll({
      Request: Schema.Struct({ sensor: Schema.String, reason: Schema.String }),
      Result: TickId,
      execute: (request) => sql`
        update sensor_ticks set status = 'failed', reason = ${text(request.reason)}, finished_at = clock_timestamp(),
          duration_ms = greatest(0, extract(epoch from clock_timestamp() - started_at) * 1000)::int
        where sensor = ${request.sensor} and status = 'started'
        returning id::text as id`
    })({ sensor, reason }).pipe(
      Effect.map((rows) => rows.length),
      wrap("abandonTicks")
    )

  const recentTicks: SensorStoreShape["recentTicks"] = (sensor, limit) =>
    SqlSchema.findAll({
      Request: Schema.Struct({ sensor: Schema.String, limit: Schema.Int }),
      Result: TickRow,
      execute: (request) => sql`
        select id::text as id, sensor, status, reason, cursor_before as "cursorBefore", cursor_after as "cursorAfter",
               run_keys as "runKeys", run_count as "runCount", duration_ms as "durationMs"
        from sensor_ticks where sensor = ${request.sensor}
        order by started_at desc, id desc limit ${request.limit}`
    })({ sensor, limit }).pipe(
      Effect.map((rows) =>
        rows.map((row): StoredTick => ({
          ...row,
          cursorBefore: parseJson(row.cursorBefore),
          cursorAfter: parseJson(row.cursorAfter)
        }))
      ),
      wrap("recentTicks")
    )

  const knownRunKeys = SqlSchema.findAll({
    Request: Schema.Struct({ sensor: Schema.String, runKeys: Schema.Array(Schema.String) }),
    Result: RunKey,
    execute: (request) => sql`
      select run_key as "runKey" from sensor_runs
      where sensor = ${request.sensor}
        and run_key = any(array(select jsonb_array_elements_text(${json(request.runKeys)}::jsonb)))`
  })

  const existingRunKeys: SensorStoreShape["existingRunKeys"] = (sensor, runKeys) =>
    runKeys.length === 0
      ? Effect.succeed(new Set<string>())
      : knownRunKeys({ sensor, runKeys }).pipe(
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
    SqlSchema.findOneOption({
      Request: SensorRun,
      Result: RunRow,
      execute: (request) => sql`select ${sql.literal(RUN_COLUMNS)} from sensor_runs
                                where sensor = ${request.sensor} and run_key = ${request.runKey}`
    })({ sensor, runKey }).pipe(wrap("getRun"))

  const unfinishedRuns: SensorStoreShape["unfinishedRuns"] = (sensor) =>
    SqlSchema.findAll({
      Request: Sensor,
      Result: RunRow,
      execute: (request) => sql`select ${sql.literal(RUN_COLUMNS)} from sensor_runs
                                where sensor = ${request.sensor} and status in ('requested', 'running')
                                order by requested_at, run_key`
    })({ sensor }).pipe(wrap("unfinishedRuns"))

  const resetFailedRuns: SensorStoreShape["resetFailedRuns"] = (sensor, runKey) =>
    SqlSchema.findAll({
      Request: Schema.Struct({ sensor: Schema.String, runKey: Schema.NullOr(Schema.String) }),
      Result: RunRow,
      execute: (request) => sql`
        update sensor_runs set status = 'requested', finished_at = null
        where sensor = ${request.sensor} and status = 'failed' and not starts_with(run_key, ${QUARANTINE_PREFIX})
          and (${request.runKey}::text is null or run_key = ${request.runKey}::text)
        returning ${sql.literal(RUN_COLUMNS)}`
    })({ sensor, runKey: runKey ?? null }).pipe(wrap("resetFailedRuns"))

  const prune: SensorStoreShape["prune"] = ({ keepTicks, runMaxAgeMs }) =>
    Effect.gen(function* () {
      const ticks = yield* SqlSchema.findOne({
        Request: Schema.Void,
        Result: Pruned,
        execute: () => sql`select prune_sensor_ticks(${keepTicks}, null)::text as count`
      })(undefined)
      const runs = yield* SqlSchema.findOne({
        Request: Schema.Void,
        Result: Pruned,
        execute: () => sql`
          select prune_sensor_runs(now() - ${runMaxAgeMs} * interval '1 millisecond',
                                   now() - ${runMaxAgeMs} * interval '1 millisecond')::text as count`
      })(undefined)
      return { ticks: ticks.count, runs: runs.count }
    }).pipe(wrap("prune"))

  const withTransaction: SensorStoreShape["withTransaction"] = (self) => wrap("transaction")(sql.withTransaction(self))

  return SensorStore.of({
    acquireLease,
    renewLease,
    releaseLease,
    assertOwner,
    getCursor,
    isPaused,
    listSensors,
    resetCursor,
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
