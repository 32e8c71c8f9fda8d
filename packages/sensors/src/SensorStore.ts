/**
 * Where a sensor's state lives: the lease that makes one process its owner, the persisted cursor, the
 * tick history and the run records. `SqlSensorStore.layer` keeps it in silver's tables; `layerTest` here
 * keeps it in memory, with the same semantics, so users can test their sensors without a database.
 */
import { PgText } from "@medallion/silver"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { LeaseLost, type SensorStoreError } from "./SensorErrors.ts"

export type RunStatus = "requested" | "running" | "succeeded" | "failed"
export type TickStatus = "started" | "success" | "skipped" | "failed"

export interface StoredRun {
  readonly sensor: string
  readonly runKey: string
  readonly status: RunStatus
  readonly attempts: number
  /** The microbatch as stored (the job's item schema, encoded to JSON). */
  readonly items: ReadonlyArray<unknown>
  readonly error: string | null
  /** Per-item failures of the last attempt: `[{ item, reason }]`, encoded. */
  readonly failures: ReadonlyArray<{ readonly item: unknown; readonly reason: string }>
}

export interface StoredTick {
  readonly id: number
  readonly sensor: string
  readonly status: TickStatus
  readonly reason: string | null
  readonly cursorBefore: unknown
  readonly cursorAfter: unknown
  readonly runKeys: ReadonlyArray<string>
  readonly runCount: number
  readonly durationMs: number | null
}

export interface TickOutcome {
  readonly status: Exclude<TickStatus, "started">
  readonly reason: string | null
  readonly cursorAfter: unknown
  readonly runKeys: ReadonlyArray<string>
  readonly durationMs: number
}

/**
 * Run keys of the records of quarantined items (what a tick found and could not hand to a run): such a
 * run is recorded `failed` at once, is never launched, and `resetFailedRuns` leaves it alone, since running
 * it again cannot help.
 */
export const QUARANTINE_PREFIX = "quarantine:"

/** A run recorded as failed before it could start: its items, and why each was set aside. */
export interface FailedRun {
  readonly runKey: string
  readonly items: ReadonlyArray<unknown>
  readonly error: string
  readonly failures: ReadonlyArray<{ readonly item: unknown; readonly reason: string }>
}

export interface RunUpdate {
  readonly status: RunStatus
  readonly error?: string | null | undefined
  readonly failures?: ReadonlyArray<{ readonly item: unknown; readonly reason: string }> | undefined
}

/** A sensor's stored state, as operators see it (`medallion sensors list`). */
export interface SensorState {
  readonly sensor: string
  readonly paused: boolean
  /** The lease's holder and expiry; both null once released (an expired lease keeps its last holder). */
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: Date | null
  /** The persisted cursor (encoded); null when never written or reset. */
  readonly cursor: unknown
}

/** What `resetCursor` did. */
export type ResetOutcome =
  | { readonly _tag: "Reset" }
  /** Refused: a live owner's in-memory position would overwrite the reset. */
  | { readonly _tag: "Owned"; readonly owner: string }
  /** No state stored for this sensor (it never ran): nothing to reset. */
  | { readonly _tag: "NoState" }

export interface SensorStoreShape {
  /**
   * Takes the sensor's lease for `owner` if it is free, expired, or already `owner`'s (then renews it).
   * Creates the sensor's state with `initialCursor` the first time. True when `owner` now holds it.
   */
  readonly acquireLease: (
    sensor: string,
    owner: string,
    ttlMs: number,
    initialCursor: unknown
  ) => Effect.Effect<boolean, SensorStoreError>
  /** Extends the lease; false when `owner` no longer holds it. */
  readonly renewLease: (sensor: string, owner: string, ttlMs: number) => Effect.Effect<boolean, SensorStoreError>
  readonly releaseLease: (sensor: string, owner: string) => Effect.Effect<void, SensorStoreError>
  /**
   * Fails with `LeaseLost` unless `owner` holds an unexpired lease. Inside `withTransaction` it also
   * locks the sensor's row, so no takeover can commit in between.
   */
  readonly assertOwner: (sensor: string, owner: string) => Effect.Effect<void, LeaseLost | SensorStoreError>
  readonly getCursor: (sensor: string) => Effect.Effect<Option.Option<unknown>, SensorStoreError>
  /** Whether an operator paused the sensor: its ticks are skipped until it is resumed. */
  readonly isPaused: (sensor: string) => Effect.Effect<boolean, SensorStoreError>
  readonly setPaused: (sensor: string, paused: boolean) => Effect.Effect<void, SensorStoreError>
  /** Every sensor with stored state, by name. */
  readonly listSensors: Effect.Effect<ReadonlyArray<SensorState>, SensorStoreError>
  /**
   * Unsets the persisted cursor (the next owner starts from the sensor's initial cursor), unless a live
   * owner holds the lease.
   */
  readonly resetCursor: (sensor: string) => Effect.Effect<ResetOutcome, SensorStoreError>
  /** Writes the cursor, fenced: only the lease owner can. */
  readonly putCursor: (
    sensor: string,
    owner: string,
    cursor: unknown
  ) => Effect.Effect<void, LeaseLost | SensorStoreError>
  readonly startTick: (sensor: string, cursorBefore: unknown) => Effect.Effect<number, SensorStoreError>
  readonly finishTick: (id: number, outcome: TickOutcome) => Effect.Effect<void, SensorStoreError>
  /** Marks ticks left `started` by a dead owner as failed; returns how many. */
  readonly abandonTicks: (sensor: string, reason: string) => Effect.Effect<number, SensorStoreError>
  readonly recentTicks: (sensor: string, limit: number) => Effect.Effect<ReadonlyArray<StoredTick>, SensorStoreError>
  /** Which of `runKeys` already have a run record (any status). One query, whatever the number of keys. */
  readonly existingRunKeys: (
    sensor: string,
    runKeys: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlySet<string>, SensorStoreError>
  readonly insertRuns: (
    sensor: string,
    runs: ReadonlyArray<{ readonly runKey: string; readonly items: ReadonlyArray<unknown> }>
  ) => Effect.Effect<void, SensorStoreError>
  /** Records runs as `failed` at once (quarantined items); an existing run key is left as it is. */
  readonly insertFailedRuns: (sensor: string, runs: ReadonlyArray<FailedRun>) => Effect.Effect<void, SensorStoreError>
  /** Status change of one run; `running` also counts an attempt. */
  readonly updateRun: (sensor: string, runKey: string, update: RunUpdate) => Effect.Effect<void, SensorStoreError>
  readonly getRun: (sensor: string, runKey: string) => Effect.Effect<Option.Option<StoredRun>, SensorStoreError>
  /** Runs still `requested` or `running`, oldest first. */
  readonly unfinishedRuns: (sensor: string) => Effect.Effect<ReadonlyArray<StoredRun>, SensorStoreError>
  /** Failed runs set back to `requested` (all of the sensor's, or one); returns them. Quarantine records stay failed. */
  readonly resetFailedRuns: (
    sensor: string,
    runKey?: string | undefined
  ) => Effect.Effect<ReadonlyArray<StoredRun>, SensorStoreError>
  /** Retention: keeps the newest `keepTicks` ticks per sensor; drops finished runs older than `runMaxAgeMs`. */
  readonly prune: (options: {
    readonly keepTicks: number
    readonly runMaxAgeMs: number
  }) => Effect.Effect<{ readonly ticks: number; readonly runs: number }, SensorStoreError>
  /** All or nothing: the tick's run records, the launcher's hand-off and the tick record commit together. */
  readonly withTransaction: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SensorStoreError, R>
}

interface MemoryLease {
  readonly owner: string
  readonly expiresAt: number
}

interface MemoryRun extends StoredRun {
  readonly requestedAt: number
  readonly finishedAt: number | null
}

interface MemoryState {
  readonly leases: Map<string, MemoryLease>
  readonly cursors: Map<string, unknown>
  readonly paused: Set<string>
  readonly ticks: Array<StoredTick & { readonly startedAt: number }>
  readonly runs: Map<string, MemoryRun>
  nextTickId: number
}

/** Undo actions of the in-memory transaction a fiber is in, if any. */
const MemoryJournal = Context.Reference<Array<() => void> | undefined>("@medallion/sensors/SensorStore/MemoryJournal", {
  defaultValue: () => undefined
})

const runId = (sensor: string, runKey: string) => `${sensor}\u0000${runKey}`

const makeMemory = Effect.gen(function* () {
  const state: MemoryState = {
    leases: new Map(),
    cursors: new Map(),
    paused: new Set(),
    ticks: [],
    runs: new Map(),
    nextTickId: 1
  }

  // Every mutation goes through `change`, which records how to undo it inside a transaction.
  const change = <K, V>(map: Map<K, V>, key: K, value: V) =>
    Effect.gen(function* () {
      const journal = yield* MemoryJournal
      const had = map.has(key)
      const previous = map.get(key)
      map.set(key, value)
      journal?.push(() => (had ? map.set(key, previous as V) : map.delete(key)))
    })

  const holds = (sensor: string, owner: string, now: number) => {
    const lease = state.leases.get(sensor)
    return lease !== undefined && lease.owner === owner && lease.expiresAt > now
  }

  const acquireLease: SensorStoreShape["acquireLease"] = (sensor, owner, ttlMs, initialCursor) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const lease = state.leases.get(sensor)
      if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now) return false
      yield* change(state.leases, sensor, { owner, expiresAt: now + ttlMs })
      if (!state.cursors.has(sensor)) yield* change(state.cursors, sensor, initialCursor)
      return true
    })

  const renewLease: SensorStoreShape["renewLease"] = (sensor, owner, ttlMs) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (!holds(sensor, owner, now)) return false
      yield* change(state.leases, sensor, { owner, expiresAt: now + ttlMs })
      return true
    })

  const releaseLease: SensorStoreShape["releaseLease"] = (sensor, owner) =>
    Effect.gen(function* () {
      if (state.leases.get(sensor)?.owner === owner) yield* change(state.leases, sensor, { owner, expiresAt: 0 })
    })

  const assertOwner: SensorStoreShape["assertOwner"] = (sensor, owner) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      holds(sensor, owner, now) ? Effect.void : Effect.fail(new LeaseLost({ sensor, owner }))
    )

  const putCursor: SensorStoreShape["putCursor"] = (sensor, owner, cursor) =>
    Effect.andThen(assertOwner(sensor, owner), change(state.cursors, sensor, structuredClone(cursor)))

  // A sensor has stored state once it took a lease or was paused (the SQL store's row).
  const known = () => [...new Set([...state.cursors.keys(), ...state.leases.keys(), ...state.paused])].sort()

  const listSensors: SensorStoreShape["listSensors"] = Effect.sync(() =>
    known().map((sensor): SensorState => {
      const lease = state.leases.get(sensor)
      const held = lease !== undefined && lease.expiresAt > 0
      return {
        sensor,
        paused: state.paused.has(sensor),
        leaseOwner: held ? lease.owner : null,
        leaseExpiresAt: held ? new Date(lease.expiresAt) : null,
        cursor: structuredClone(state.cursors.get(sensor) ?? null)
      }
    })
  )

  const resetCursor: SensorStoreShape["resetCursor"] = (sensor) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const lease = state.leases.get(sensor)
      if (lease !== undefined && lease.expiresAt > now) return { _tag: "Owned", owner: lease.owner } as const
      if (!known().includes(sensor)) return { _tag: "NoState" } as const
      yield* change(state.cursors, sensor, null)
      return { _tag: "Reset" } as const
    })

  const startTick: SensorStoreShape["startTick"] = (sensor, cursorBefore) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const id = state.nextTickId++
      state.ticks.push({
        id,
        sensor,
        status: "started",
        reason: null,
        cursorBefore: structuredClone(cursorBefore),
        cursorAfter: null,
        runKeys: [],
        runCount: 0,
        durationMs: null,
        startedAt: now
      })
      return id
    })

  const replaceTick = (index: number, tick: MemoryState["ticks"][number]) =>
    Effect.gen(function* () {
      const journal = yield* MemoryJournal
      const previous = state.ticks[index]!
      state.ticks[index] = tick
      journal?.push(() => {
        const at = state.ticks.findIndex((t) => t.id === tick.id)
        if (at >= 0) state.ticks[at] = previous
      })
    })

  const finishTick: SensorStoreShape["finishTick"] = (id, outcome) =>
    Effect.gen(function* () {
      const index = state.ticks.findIndex((t) => t.id === id)
      if (index < 0) return
      const tick = state.ticks[index]!
      yield* replaceTick(index, {
        ...tick,
        status: outcome.status,
        reason: outcome.reason === null ? null : PgText.repair(outcome.reason),
        cursorAfter: structuredClone(outcome.cursorAfter),
        runKeys: [...outcome.runKeys],
        runCount: outcome.runKeys.length,
        durationMs: outcome.durationMs
      })
    })

  const abandonTicks: SensorStoreShape["abandonTicks"] = (sensor, reason) =>
    Effect.gen(function* () {
      let count = 0
      for (let i = 0; i < state.ticks.length; i++) {
        const tick = state.ticks[i]!
        if (tick.sensor === sensor && tick.status === "started") {
          count++
          yield* replaceTick(i, { ...tick, status: "failed", reason, durationMs: 0 })
        }
      }
      return count
    })

  const recentTicks: SensorStoreShape["recentTicks"] = (sensor, limit) =>
    Effect.sync(() =>
      state.ticks
        .filter((t) => t.sensor === sensor)
        .slice(-limit)
        .reverse()
        .map(({ startedAt: _startedAt, ...tick }) => tick)
    )

  const existingRunKeys: SensorStoreShape["existingRunKeys"] = (sensor, runKeys) =>
    Effect.sync(() => new Set(runKeys.filter((key) => state.runs.has(runId(sensor, key)))))

  const insertRuns: SensorStoreShape["insertRuns"] = (sensor, runs) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const run of runs) {
        if (state.runs.has(runId(sensor, run.runKey))) continue
        yield* change(state.runs, runId(sensor, run.runKey), {
          sensor,
          runKey: run.runKey,
          status: "requested",
          attempts: 0,
          items: structuredClone(run.items),
          error: null,
          failures: [],
          requestedAt: now,
          finishedAt: null
        })
      }
    })

  const insertFailedRuns: SensorStoreShape["insertFailedRuns"] = (sensor, runs) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const run of runs) {
        if (state.runs.has(runId(sensor, run.runKey))) continue
        yield* change(state.runs, runId(sensor, run.runKey), {
          sensor,
          runKey: run.runKey,
          status: "failed",
          attempts: 0,
          items: structuredClone(run.items),
          error: PgText.repair(run.error),
          failures: PgText.repairJson(run.failures) as FailedRun["failures"],
          requestedAt: now,
          finishedAt: now
        })
      }
    })

  const updateRun: SensorStoreShape["updateRun"] = (sensor, runKey, update) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const run = state.runs.get(runId(sensor, runKey))
      if (run === undefined) return
      const finished = update.status === "succeeded" || update.status === "failed"
      yield* change(state.runs, runId(sensor, runKey), {
        ...run,
        status: update.status,
        attempts: update.status === "running" ? run.attempts + 1 : run.attempts,
        error: update.error === undefined ? run.error : update.error === null ? null : PgText.repair(update.error),
        failures:
          update.failures === undefined ? run.failures : (PgText.repairJson(update.failures) as StoredRun["failures"]),
        finishedAt: finished ? now : null
      })
    })

  const publicRun = ({ requestedAt: _r, finishedAt: _f, ...run }: MemoryRun): StoredRun => structuredClone(run)

  const getRun: SensorStoreShape["getRun"] = (sensor, runKey) =>
    Effect.sync(() => Option.map(Option.fromUndefinedOr(state.runs.get(runId(sensor, runKey))), publicRun))

  const unfinishedRuns: SensorStoreShape["unfinishedRuns"] = (sensor) =>
    Effect.sync(() =>
      [...state.runs.values()]
        .filter((run) => run.sensor === sensor && (run.status === "requested" || run.status === "running"))
        .sort((a, b) => a.requestedAt - b.requestedAt)
        .map(publicRun)
    )

  const resetFailedRuns: SensorStoreShape["resetFailedRuns"] = (sensor, runKey) =>
    Effect.gen(function* () {
      const reset: Array<StoredRun> = []
      for (const run of [...state.runs.values()]) {
        if (run.sensor !== sensor || run.status !== "failed" || run.runKey.startsWith(QUARANTINE_PREFIX)) continue
        if (runKey !== undefined && run.runKey !== runKey) continue
        const next: MemoryRun = { ...run, status: "requested", finishedAt: null }
        yield* change(state.runs, runId(sensor, run.runKey), next)
        reset.push(publicRun(next))
      }
      return reset
    })

  const prune: SensorStoreShape["prune"] = ({ keepTicks, runMaxAgeMs }) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const kept: typeof state.ticks = []
      const perSensor = new Map<string, number>()
      for (let i = state.ticks.length - 1; i >= 0; i--) {
        const tick = state.ticks[i]!
        const seen = (perSensor.get(tick.sensor) ?? 0) + 1
        perSensor.set(tick.sensor, seen)
        if (seen <= keepTicks) kept.unshift(tick)
      }
      const ticks = state.ticks.length - kept.length
      state.ticks.splice(0, state.ticks.length, ...kept)
      let runs = 0
      for (const [key, run] of state.runs) {
        if (run.finishedAt !== null && run.finishedAt < now - runMaxAgeMs) {
          state.runs.delete(key)
          runs++
        }
      }
      return { ticks, runs }
    })

  const withTransaction: SensorStoreShape["withTransaction"] = (self) =>
    Effect.gen(function* () {
      const outer = yield* MemoryJournal
      const journal: Array<() => void> = []
      const exit = yield* Effect.exit(Effect.provideService(self, MemoryJournal, journal))
      if (exit._tag === "Failure") {
        for (const undo of journal.reverse()) undo()
      } else if (outer !== undefined) {
        outer.push(...journal)
      }
      return yield* exit
    })

  return SensorStore.of({
    acquireLease,
    renewLease,
    releaseLease,
    assertOwner,
    // Null: reset, or never written (as the SQL store's JSON null).
    getCursor: (sensor) => Effect.sync(() => Option.fromNullishOr(state.cursors.get(sensor))),
    listSensors,
    resetCursor,
    isPaused: (sensor) => Effect.sync(() => state.paused.has(sensor)),
    setPaused: (sensor, paused) =>
      Effect.sync(() => void (paused ? state.paused.add(sensor) : state.paused.delete(sensor))),
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

export class SensorStore extends Context.Service<SensorStore, SensorStoreShape>()("@medallion/sensors/SensorStore") {
  /** In memory, same semantics as the SQL store (leases, fencing, transactions roll back on failure). */
  static readonly layerTest: Layer.Layer<SensorStore> = Layer.effect(SensorStore, makeMemory)
}
