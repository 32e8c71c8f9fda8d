/**
 * The in-memory `SensorStateRepo` behind `SensorStateRepo.layerTest`: for
 * unit tests of sensors, with no database. Same typed errors and size limit,
 * times from the Clock (so `TestClock` drives durations and retention).
 * `withSensorLock` is a per-sensor lock within the process, and rolls back
 * the cursor and run writes of a failed effect, like the transaction does.
 */
import { Clock, DateTime, Duration, Effect, Exit, Option, Schema } from "effect"
import * as SensorState from "./SensorState.ts"
import type { SensorStateRepoShape } from "./SensorStateRepoShape.ts"

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), "utf8")
const clone = <A>(value: A): A => (value === undefined ? value : JSON.parse(JSON.stringify(value)))

export const make: Effect.Effect<SensorStateRepoShape> = Effect.sync(() => {
  let states = new Map<string, SensorState.SensorStateRow>()
  const ticks: Array<{ -readonly [K in keyof SensorState.TickRow]: SensorState.TickRow[K] }> = []
  let runs = new Map<string, SensorState.RunRow>()
  const locked = new Set<string>()
  let nextTick = 1
  const now = Effect.map(Clock.currentTimeMillis, (ms) => DateTime.makeUnsafe(ms))
  const runId = (sensor: string, runKey: string) => `${sensor}\u0000${runKey}`

  const repo: SensorStateRepoShape = {
    getCursor: <A, I>(sensor: string, schema: Schema.Codec<A, I>) =>
      Effect.gen(function* () {
        const state = states.get(sensor)
        if (state === undefined || state.cursor === null) return Option.none<A>()
        return Option.some(
          yield* Schema.decodeUnknownEffect(schema)(clone(state.cursor)).pipe(
            Effect.mapError(
              (cause) =>
                new SensorState.CursorInvalid({
                  sensor,
                  message: `stored cursor does not decode: ${cause.message}`,
                  cause
                })
            )
          )
        )
      }),
    putCursor: <A, I>(sensor: string, schema: Schema.Codec<A, I>, cursor: A) =>
      Effect.gen(function* () {
        if (!Schema.is(SensorState.SensorName)(sensor)) {
          return yield* new SensorState.CursorInvalid({ sensor, message: "not a sensor name" })
        }
        const encoded = yield* Schema.encodeEffect(schema)(cursor).pipe(
          Effect.mapError(
            (cause) =>
              new SensorState.CursorInvalid({ sensor, message: `cursor does not encode: ${cause.message}`, cause })
          )
        )
        const bytes = bytesOf(encoded)
        if (bytes > SensorState.MAX_CURSOR_BYTES) {
          return yield* new SensorState.CursorTooLarge({ sensor, bytes, limit: SensorState.MAX_CURSOR_BYTES })
        }
        const at = yield* now
        states.set(sensor, {
          sensor,
          cursor: clone(encoded),
          paused: states.get(sensor)?.paused ?? false,
          updatedAt: at
        })
      }),
    getState: (sensor) => Effect.sync(() => Option.fromNullishOr(states.get(sensor))),
    listStates: Effect.sync(() => [...states.values()].sort((a, b) => (a.sensor < b.sensor ? -1 : 1))),
    setPaused: (sensor, paused) =>
      Effect.map(now, (at) => {
        states.set(sensor, { sensor, cursor: states.get(sensor)?.cursor ?? null, paused, updatedAt: at })
      }),
    startTick: (sensor, cursorBefore) =>
      Effect.gen(function* () {
        if (!Schema.is(SensorState.SensorName)(sensor)) {
          return yield* new SensorState.InvalidSensorInput({ sensor, message: "not a sensor name" })
        }
        const at = yield* now
        const id = nextTick++
        ticks.push({
          id,
          sensor,
          status: "started",
          reason: null,
          cursorBefore: clone(cursorBefore ?? null),
          cursorAfter: null,
          runKeys: [],
          runCount: 0,
          startedAt: at,
          finishedAt: null,
          durationMs: null
        })
        return id
      }),
    finishTick: (id, finish) =>
      Effect.map(now, (at) => {
        const tick = ticks.find((t) => t.id === id)
        if (tick === undefined) return
        tick.status = finish.status
        tick.reason = finish.reason ?? null
        tick.cursorAfter = clone(finish.cursorAfter ?? null)
        tick.runKeys = [...(finish.runKeys ?? [])]
        tick.runCount = tick.runKeys.length
        tick.finishedAt = at
        tick.durationMs = Math.max(0, DateTime.toEpochMillis(at) - DateTime.toEpochMillis(tick.startedAt))
      }),
    recentTicks: ({ sensor, limit }) =>
      Effect.sync(() =>
        ticks
          .filter((t) => sensor === undefined || t.sensor === sensor)
          .sort((a, b) => DateTime.toEpochMillis(b.startedAt) - DateTime.toEpochMillis(a.startedAt) || b.id - a.id)
          .slice(0, limit)
          .map((t) => ({ ...t }))
      ),
    existingRunKeys: (sensor, runKeys) =>
      Effect.sync(() => new Set(runKeys.filter((key) => runs.has(runId(sensor, key))))),
    insertRuns: (sensor, requests) =>
      Effect.gen(function* () {
        for (const run of requests) {
          if (run.runKey.length === 0 || run.runKey.length > 512) {
            return yield* new SensorState.InvalidSensorInput({
              sensor,
              message: `run key of ${run.runKey.length} characters`
            })
          }
          if (bytesOf(run.itemKeys) > SensorState.MAX_ITEM_KEYS_BYTES) {
            return yield* new SensorState.InvalidSensorInput({
              sensor,
              message: `run ${run.runKey}: item keys over the limit`
            })
          }
        }
        const at = yield* now
        const inserted: Array<string> = []
        for (const run of requests) {
          if (runs.has(runId(sensor, run.runKey))) continue
          runs.set(runId(sensor, run.runKey), {
            sensor,
            runKey: run.runKey,
            status: "requested",
            attempts: 0,
            itemKeys: clone(run.itemKeys ?? null),
            error: null,
            requestedAt: at,
            startedAt: null,
            finishedAt: null
          })
          inserted.push(run.runKey)
        }
        return inserted
      }),
    markRun: (sensor, runKey, status, error) =>
      Effect.gen(function* () {
        const run = runs.get(runId(sensor, runKey))
        if (run === undefined) return yield* new SensorState.RunNotFound({ sensor, runKey })
        const at = yield* now
        runs.set(
          runId(sensor, runKey),
          status === "running"
            ? { ...run, status, attempts: run.attempts + 1, startedAt: at, finishedAt: null, error: null }
            : { ...run, status, finishedAt: at, error: status === "failed" ? (error ?? "failed") : null }
        )
      }),
    listRuns: ({ sensor, status, limit }) =>
      Effect.sync(() =>
        [...runs.values()]
          .filter((r) => r.sensor === sensor && (status === undefined || r.status === status))
          .sort(
            (a, b) =>
              DateTime.toEpochMillis(a.requestedAt) - DateTime.toEpochMillis(b.requestedAt) ||
              (a.runKey < b.runKey ? -1 : 1)
          )
          .slice(0, limit)
      ),
    retryFailedRuns: (sensor, runKeys) =>
      Effect.map(now, (at) => {
        const retried: Array<string> = []
        for (const run of runs.values()) {
          if (run.sensor !== sensor || run.status !== "failed") continue
          if (runKeys !== undefined && !runKeys.includes(run.runKey)) continue
          runs.set(runId(sensor, run.runKey), {
            ...run,
            status: "requested",
            error: null,
            startedAt: null,
            finishedAt: null,
            requestedAt: at
          })
          retried.push(run.runKey)
        }
        return retried.sort()
      }),
    pruneTicks: ({ keepPerSensor, maxAge }) =>
      Effect.map(Clock.currentTimeMillis, (nowMs) => {
        const cutoff = maxAge === undefined ? undefined : nowMs - Duration.toMillis(maxAge)
        const rank = new Map<string, number>()
        const keep = new Set<number>()
        const newestFirst = [...ticks].sort(
          (a, b) => DateTime.toEpochMillis(b.startedAt) - DateTime.toEpochMillis(a.startedAt) || b.id - a.id
        )
        for (const tick of newestFirst) {
          const r = (rank.get(tick.sensor) ?? 0) + 1
          rank.set(tick.sensor, r)
          const tooMany = keepPerSensor !== undefined && r > keepPerSensor
          const tooOld = cutoff !== undefined && DateTime.toEpochMillis(tick.startedAt) < cutoff
          if (!tooMany && !tooOld) keep.add(tick.id)
        }
        const before = ticks.length
        const kept = ticks.filter((t) => keep.has(t.id))
        ticks.length = 0
        ticks.push(...kept)
        return before - kept.length
      }),
    pruneRuns: ({ succeededMaxAge, failedMaxAge }) =>
      Effect.map(Clock.currentTimeMillis, (nowMs) => {
        let pruned = 0
        for (const [id, run] of runs) {
          const maxAge =
            run.status === "succeeded" ? succeededMaxAge : run.status === "failed" ? failedMaxAge : undefined
          if (maxAge === undefined || run.finishedAt === null) continue
          if (DateTime.toEpochMillis(run.finishedAt) < nowMs - Duration.toMillis(maxAge)) {
            runs.delete(id)
            pruned++
          }
        }
        return pruned
      }),
    withSensorLock: <A, E, R>(sensor: string, effect: Effect.Effect<A, E, R>) =>
      Effect.suspend(() => {
        if (locked.has(sensor)) return Effect.succeed(Option.none<A>())
        locked.add(sensor)
        const savedStates = new Map(states)
        const savedRuns = new Map(runs)
        return effect.pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              locked.delete(sensor)
              if (Exit.isFailure(exit)) {
                states = savedStates
                runs = savedRuns
              }
            })
          ),
          Effect.map(Option.some)
        )
      })
  }
  return repo
})
