/**
 * The sensors' state in silver's database: typed cursors, tick history and
 * run-key records, with their retention.
 */
import { Clock, Context, DateTime, Duration, Effect, Layer, Option, Schema } from "effect"
import * as SensorState from "./SensorState.ts"
import * as SensorStateRepoMemory from "./SensorStateRepoMemory.ts"
import type { SensorStateRepoShape } from "./SensorStateRepoShape.ts"
import { SilverDatabase } from "./SilverDatabase.ts"
import type { DatabaseError } from "./SilverError.ts"

export type { SensorStateRepoShape } from "./SensorStateRepoShape.ts"

export class SensorStateRepo extends Context.Service<SensorStateRepo, SensorStateRepoShape>()(
  "@medallion/silver/SensorStateRepo"
) {
  /** On PostgreSQL, through `SilverDatabase`. */
  static readonly layer: Layer.Layer<SensorStateRepo, never, SilverDatabase> = Layer.effect(
    SensorStateRepo,
    Effect.gen(function* () {
      return make(yield* SilverDatabase)
    })
  )

  /** An empty in-memory repository (a fresh one per layer build): for unit tests, no database. */
  static readonly layerTest: Layer.Layer<SensorStateRepo> = Layer.effect(SensorStateRepo, SensorStateRepoMemory.make)
}

/** First key of the sensors' advisory locks; the second is `hashtext(sensor)`. */
const SENSOR_LOCK_NAMESPACE = 1835365236

const isSensorName = Schema.is(SensorState.SensorName)

const utc = (value: Date | null): DateTime.Utc | null => (value === null ? null : DateTime.fromDateUnsafe(value))

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "null", "utf8")

interface StateRecord {
  readonly sensor: string
  readonly cursor: unknown
  readonly paused: boolean
  readonly updatedAt: Date
}

interface TickRecord {
  readonly id: string | number
  readonly sensor: string
  readonly status: SensorState.TickStatus
  readonly reason: string | null
  readonly cursorBefore: unknown
  readonly cursorAfter: unknown
  readonly runKeys: ReadonlyArray<string> | null
  readonly runCount: number
  readonly startedAt: Date
  readonly finishedAt: Date | null
  readonly durationMs: number | null
}

interface RunRecord {
  readonly sensor: string
  readonly runKey: string
  readonly status: SensorState.RunStatus
  readonly attempts: number
  readonly itemKeys: unknown
  readonly error: string | null
  readonly requestedAt: Date
  readonly startedAt: Date | null
  readonly finishedAt: Date | null
}

const toState = (row: StateRecord): SensorState.SensorStateRow => ({
  ...row,
  updatedAt: DateTime.fromDateUnsafe(row.updatedAt)
})

const toTick = (row: TickRecord): SensorState.TickRow => ({
  ...row,
  id: Number(row.id),
  runKeys: row.runKeys ?? [],
  startedAt: DateTime.fromDateUnsafe(row.startedAt),
  finishedAt: utc(row.finishedAt)
})

const toRun = (row: RunRecord): SensorState.RunRow => ({
  ...row,
  requestedAt: DateTime.fromDateUnsafe(row.requestedAt),
  startedAt: utc(row.startedAt),
  finishedAt: utc(row.finishedAt)
})

const cut = (text: string | null | undefined) =>
  text === null || text === undefined ? null : text.length > 2000 ? `${text.slice(0, 1999)}…` : text

const make = (db: SilverDatabase["Service"]): SensorStateRepoShape => {
  const sql = db.client
  const json = (value: unknown) => JSON.stringify(value === undefined ? null : value)
  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

  const getCursor = <A, I>(sensor: string, schema: Schema.Codec<A, I>) =>
    Effect.gen(function* () {
      const rows = yield* db.resilient(
        "SensorStateRepo.getCursor",
        sql<{ cursor: unknown }>`select cursor from sensor_state where sensor = ${sensor}`
      )
      const row = rows[0]
      if (row === undefined || row.cursor === null) return Option.none<A>()
      const decoded = yield* Schema.decodeUnknownEffect(schema)(row.cursor).pipe(
        Effect.mapError(
          (cause) =>
            new SensorState.CursorInvalid({ sensor, message: `stored cursor does not decode: ${cause.message}`, cause })
        )
      )
      return Option.some(decoded)
    }).pipe(Effect.withSpan("SensorStateRepo.getCursor"))

  const putCursor = <A, I>(sensor: string, schema: Schema.Codec<A, I>, cursor: A) =>
    Effect.gen(function* () {
      if (!isSensorName(sensor)) {
        return yield* new SensorState.CursorInvalid({
          sensor,
          message: "not a sensor name (^[a-z][a-z0-9_.:-]{0,127}$)"
        })
      }
      const encoded = yield* Schema.encodeEffect(schema)(cursor).pipe(
        Effect.mapError(
          (cause) =>
            new SensorState.CursorInvalid({ sensor, message: `cursor does not encode: ${cause.message}`, cause })
        )
      )
      const bytes = jsonBytes(encoded)
      if (bytes > SensorState.MAX_CURSOR_BYTES) {
        return yield* new SensorState.CursorTooLarge({ sensor, bytes, limit: SensorState.MAX_CURSOR_BYTES })
      }
      const at = yield* now
      yield* db
        .resilient(
          "SensorStateRepo.putCursor",
          sql`insert into sensor_state (sensor, cursor, updated_at) values (${sensor}, ${json(encoded)}::jsonb, ${at})
              on conflict (sensor) do update set cursor = excluded.cursor, updated_at = excluded.updated_at`
        )
        .pipe(
          // PostgreSQL prints jsonb with more spaces than JSON.stringify: the database has the last word.
          Effect.catchTag("DatabaseError", (error): Effect.Effect<never, SensorState.CursorTooLarge | DatabaseError> =>
            error.message.includes("sensor_state_cursor_size")
              ? Effect.fail(new SensorState.CursorTooLarge({ sensor, bytes, limit: SensorState.MAX_CURSOR_BYTES }))
              : Effect.fail(error)
          )
        )
    }).pipe(Effect.withSpan("SensorStateRepo.putCursor"))

  const getState = Effect.fn("SensorStateRepo.getState")(function* (sensor: string) {
    const rows = yield* db.resilient(
      "SensorStateRepo.getState",
      sql<StateRecord>`select sensor, cursor, paused, updated_at from sensor_state where sensor = ${sensor}`
    )
    return Option.map(Option.fromNullishOr(rows[0]), toState)
  })

  const listStates = db
    .resilient(
      "SensorStateRepo.listStates",
      sql<StateRecord>`select sensor, cursor, paused, updated_at from sensor_state order by sensor`
    )
    .pipe(Effect.map((rows) => rows.map(toState)))

  const setPaused = Effect.fn("SensorStateRepo.setPaused")(function* (sensor: string, paused: boolean) {
    const at = yield* now
    yield* db.resilient(
      "SensorStateRepo.setPaused",
      sql`insert into sensor_state (sensor, cursor, paused, updated_at) values (${sensor}, 'null'::jsonb, ${paused}, ${at})
          on conflict (sensor) do update set paused = excluded.paused, updated_at = excluded.updated_at`
    )
  })

  const startTick = Effect.fn("SensorStateRepo.startTick")(function* (sensor: string, cursorBefore: unknown) {
    if (!isSensorName(sensor)) {
      return yield* new SensorState.InvalidSensorInput({ sensor, message: "not a sensor name" })
    }
    const bytes = jsonBytes(cursorBefore)
    if (bytes > SensorState.MAX_CURSOR_BYTES) {
      return yield* new SensorState.InvalidSensorInput({
        sensor,
        message: `cursor of ${bytes} bytes is over the limit`
      })
    }
    const at = yield* now
    const [row] = yield* db.resilient(
      "SensorStateRepo.startTick",
      sql<{ id: string }>`insert into sensor_ticks (sensor, status, cursor_before, started_at)
                          values (${sensor}, 'started', ${json(cursorBefore)}::jsonb, ${at}) returning id`
    )
    return Number(row!.id)
  })

  const finishTick = Effect.fn("SensorStateRepo.finishTick")(function* (id: number, finish: SensorState.TickFinish) {
    const at = yield* now
    const runKeys = finish.runKeys ?? []
    const cursorAfter = finish.cursorAfter === undefined ? null : json(finish.cursorAfter)
    yield* db.resilient(
      "SensorStateRepo.finishTick",
      sql`update sensor_ticks set
            status = ${finish.status},
            reason = ${cut(finish.reason)},
            cursor_after = ${cursorAfter}::jsonb,
            run_keys = array(select json_array_elements_text(${json(runKeys)}::json)),
            run_count = ${runKeys.length},
            finished_at = ${at},
            duration_ms = greatest(0, (extract(epoch from (${at}::timestamptz - started_at)) * 1000)::int)
          where id = ${String(id)}::bigint`
    )
  })

  const recentTicks = Effect.fn("SensorStateRepo.recentTicks")(function* (options: {
    readonly sensor?: string | undefined
    readonly limit: number
  }) {
    const rows = yield* db.resilient(
      "SensorStateRepo.recentTicks",
      sql<TickRecord>`
        select id, sensor, status, reason, cursor_before, cursor_after, run_keys, run_count, started_at, finished_at,
               duration_ms
        from sensor_ticks
        where ${options.sensor === undefined ? sql.literal("true") : sql`sensor = ${options.sensor}`}
        order by started_at desc, id desc
        limit ${options.limit}`
    )
    return rows.map(toTick)
  })

  const existingRunKeys = Effect.fn("SensorStateRepo.existingRunKeys")(function* (
    sensor: string,
    runKeys: ReadonlyArray<string>
  ) {
    if (runKeys.length === 0) return new Set<string>()
    const rows = yield* db.resilient(
      "SensorStateRepo.existingRunKeys",
      sql<{ runKey: string }>`
        select run_key from sensor_runs
        where sensor = ${sensor}
          and run_key in (select json_array_elements_text(${json(runKeys)}::json))`
    )
    return new Set(rows.map((row) => row.runKey))
  })

  const insertRuns = Effect.fn("SensorStateRepo.insertRuns")(function* (
    sensor: string,
    runs: ReadonlyArray<SensorState.RunRequest>
  ) {
    if (runs.length === 0) return []
    for (const run of runs) {
      if (run.runKey.length === 0 || run.runKey.length > 512) {
        return yield* new SensorState.InvalidSensorInput({
          sensor,
          message: `run key of ${run.runKey.length} characters`
        })
      }
      const bytes = jsonBytes(run.itemKeys)
      if (bytes > SensorState.MAX_ITEM_KEYS_BYTES) {
        return yield* new SensorState.InvalidSensorInput({
          sensor,
          message: `run ${run.runKey}: item keys of ${bytes} bytes are over the limit of ${SensorState.MAX_ITEM_KEYS_BYTES}`
        })
      }
    }
    const at = yield* now
    const rows = yield* db.resilient(
      "SensorStateRepo.insertRuns",
      sql<{ runKey: string }>`
        insert into sensor_runs (sensor, run_key, item_keys, requested_at)
        select ${sensor}, x.run_key, x.item_keys, ${at}
        from json_to_recordset(${json(runs.map((r) => ({ run_key: r.runKey, item_keys: r.itemKeys ?? null })))}::json)
          as x(run_key text, item_keys jsonb)
        order by x.run_key
        on conflict (sensor, run_key) do nothing
        returning run_key`
    )
    return rows.map((row) => row.runKey)
  })

  const markRun = Effect.fn("SensorStateRepo.markRun")(function* (
    sensor: string,
    runKey: string,
    status: Exclude<SensorState.RunStatus, "requested">,
    error?: string
  ) {
    const at = yield* now
    const rows = yield* db.resilient(
      "SensorStateRepo.markRun",
      status === "running"
        ? sql<{ runKey: string }>`
            update sensor_runs set status = 'running', attempts = attempts + 1, started_at = ${at},
                   finished_at = null, error = null
            where sensor = ${sensor} and run_key = ${runKey} returning run_key`
        : sql<{ runKey: string }>`
            update sensor_runs set status = ${status}, finished_at = ${at},
                   error = ${status === "failed" ? (cut(error) ?? "failed") : null}
            where sensor = ${sensor} and run_key = ${runKey} returning run_key`
    )
    if (rows.length === 0) return yield* new SensorState.RunNotFound({ sensor, runKey })
  })

  const listRuns = Effect.fn("SensorStateRepo.listRuns")(function* (options: {
    readonly sensor: string
    readonly status?: SensorState.RunStatus | undefined
    readonly limit: number
  }) {
    const rows = yield* db.resilient(
      "SensorStateRepo.listRuns",
      sql<RunRecord>`
        select sensor, run_key, status, attempts, item_keys, error, requested_at, started_at, finished_at
        from sensor_runs
        where sensor = ${options.sensor}
          and ${options.status === undefined ? sql.literal("true") : sql`status = ${options.status}`}
        order by requested_at, run_key
        limit ${options.limit}`
    )
    return rows.map(toRun)
  })

  const retryFailedRuns = Effect.fn("SensorStateRepo.retryFailedRuns")(function* (
    sensor: string,
    runKeys?: ReadonlyArray<string>
  ) {
    const at = yield* now
    const rows = yield* db.resilient(
      "SensorStateRepo.retryFailedRuns",
      sql<{ runKey: string }>`
        update sensor_runs set status = 'requested', error = null, finished_at = null, started_at = null,
               requested_at = ${at}
        where sensor = ${sensor} and status = 'failed'
          and ${runKeys === undefined ? sql.literal("true") : sql`run_key in (select json_array_elements_text(${json(runKeys)}::json))`}
        returning run_key`
    )
    return rows.map((row) => row.runKey).toSorted()
  })

  const before = (maxAge: Duration.Input | undefined) =>
    maxAge === undefined
      ? Effect.succeed(null)
      : Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms - Duration.toMillis(maxAge)))

  const pruneTicks = Effect.fn("SensorStateRepo.pruneTicks")(function* (options: {
    readonly keepPerSensor?: number | undefined
    readonly maxAge?: Duration.Input | undefined
  }) {
    const olderThan = yield* before(options.maxAge)
    const [row] = yield* db.resilient(
      "SensorStateRepo.pruneTicks",
      sql<{
        pruned: string
      }>`select prune_sensor_ticks(${options.keepPerSensor ?? null}::int, ${olderThan}::timestamptz)::text as pruned`
    )
    return Number(row!.pruned)
  })

  const pruneRuns = Effect.fn("SensorStateRepo.pruneRuns")(function* (options: {
    readonly succeededMaxAge?: Duration.Input | undefined
    readonly failedMaxAge?: Duration.Input | undefined
  }) {
    const succeeded = yield* before(options.succeededMaxAge)
    const failed = yield* before(options.failedMaxAge)
    const [row] = yield* db.resilient(
      "SensorStateRepo.pruneRuns",
      sql<{
        pruned: string
      }>`select prune_sensor_runs(${succeeded}::timestamptz, ${failed}::timestamptz)::text as pruned`
    )
    return Number(row!.pruned)
  })

  const withSensorLock = <A, E, R>(sensor: string, effect: Effect.Effect<A, E, R>) =>
    db.resilient(
      "SensorStateRepo.withSensorLock",
      sql.withTransaction(
        Effect.gen(function* () {
          const [row] = yield* sql<{ locked: boolean }>`
            select pg_try_advisory_xact_lock(${sql.literal(String(SENSOR_LOCK_NAMESPACE))}, hashtext(${sensor})) as locked`
          if (!row!.locked) return Option.none<A>()
          return Option.some(yield* effect)
        })
      )
    )

  return {
    getCursor,
    putCursor,
    getState,
    listStates,
    setPaused,
    startTick,
    finishTick,
    recentTicks,
    existingRunKeys,
    insertRuns,
    markRun,
    listRuns,
    retryFailedRuns,
    pruneTicks,
    pruneRuns,
    withSensorLock
  }
}
