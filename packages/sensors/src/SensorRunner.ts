/**
 * Drives sensors: one owner per sensor across processes (a lease in the store, renewed by a heartbeat,
 * every cursor write fenced by it), one tick at a time, triggered by an interval schedule (with jitter)
 * merged with wake-up signals, each tick bounded by a hard timeout and a cap on run requests.
 *
 * The cursor a tick evaluates from is the in-memory frontier (the previous tick's cursor); the persisted
 * cursor follows as a low watermark of finished runs (or in the accept transaction, for launchers with
 * durable queues). A crash restarts from the persisted cursor: re-evaluation gives the same run keys,
 * which dedup against the run records, and runs left unfinished by the dead owner are relaunched.
 */
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  Option,
  Queue,
  Schedule,
  Schema,
  Scope,
  Semaphore,
  Stream
} from "effect"
import { PgText } from "@medallion/silver"
import { reasonOf } from "./FailureReason.ts"
import * as InProcessLauncher from "./InProcessLauncher.ts"
import * as Quarantine from "./Quarantine.ts"
import * as RunExecutor from "./RunExecutor.ts"
import { type LaunchRun, RunLauncher } from "./RunLauncher.ts"
import type { AnySensor, Evaluation, RunRequest } from "./Sensor.ts"
import { CursorDecodeError, CursorTooLarge, LeaseLost, SensorNotFound, type SensorStoreError } from "./SensorErrors.ts"
import { SensorStore, type StoredRun } from "./SensorStore.ts"
import * as Watermark from "./Watermark.ts"

const ticksTotal = Metric.counter("sensor_ticks_total", { description: "Sensor ticks, by sensor and outcome" })
const tickDuration = Metric.timer("sensor_tick_duration", { description: "Duration of a sensor tick" })
const runsRequested = Metric.counter("sensor_runs_requested_total", { description: "Runs requested by sensor ticks" })
const itemsQuarantined = Metric.counter("sensor_items_quarantined_total", {
  description: "Items a tick could not hand to a run, recorded as failed in a quarantine run"
})

export interface SensorRunnerOptions {
  /** This process's identity in leases (default: host, pid and a random suffix). */
  readonly owner?: string | undefined
  /** A lease not renewed for this long can be taken over (default 15 s). Takeover time is at most this plus `acquireInterval`. */
  readonly leaseTtl?: Duration.Input | undefined
  /** How often a process that does not own a sensor tries to take it (default 5 s). */
  readonly acquireInterval?: Duration.Input | undefined
  /** The least time between two tick starts, whatever wakes the sensor (default 1 s). */
  readonly wakeFloor?: Duration.Input | undefined
  /** Runs of one sensor in flight before ticks pause (default 4 x `maxRunsPerTick`). */
  readonly maxInFlightRuns?: number | undefined
  /** Tick history kept per sensor (default 1,000) and age of finished runs kept (default 7 days). */
  readonly keepTicks?: number | undefined
  readonly runMaxAge?: Duration.Input | undefined
  /** Retention runs every this many ticks (default 100). */
  readonly pruneEvery?: number | undefined
  /**
   * `"scheduled"` (default): a tick on start, then every `minInterval` and on each wake-up signal.
   * `"on-demand"`: only `tick` and `wake` start one, so a test decides exactly when a sensor evaluates.
   */
  readonly ticks?: "scheduled" | "on-demand" | undefined
}

/**
 * What made a tick start: its first tick when the sensor is taken, the polling interval, a wake-up signal
 * (or `wake`), the settle deadline a previous tick asked for, a full previous page, or an explicit `tick`.
 */
export type TickCause = "start" | "interval" | "wake" | "settle" | "more" | "request"

export interface TickReport {
  readonly sensor: string
  readonly tickId: number
  /** Every trigger this tick served (bursts coalesce into one tick), in arrival order, without repeats. */
  readonly causes: ReadonlyArray<TickCause>
  readonly status: "success" | "skipped" | "failed"
  readonly reason: string | null
  /** Run keys the tick named, after collapsing duplicates. */
  readonly runKeys: ReadonlyArray<string>
  /** Of those, the runs that were new and were handed to the launcher. */
  readonly requested: ReadonlyArray<string>
  readonly cursorBefore: unknown
  readonly cursorAfter: unknown
}

export interface SensorStatus {
  readonly sensor: string
  readonly owned: boolean
  /** The cursor the next tick evaluates from (encoded), when this process owns the sensor. */
  readonly frontier: unknown
  readonly inFlight: ReadonlyArray<string>
  readonly pendingTicks: number
}

export interface SensorRunnerShape {
  readonly owner: string
  /** Triggers a tick now (respecting the wake floor) and waits for its report. Waits for ownership first. */
  readonly tick: (sensor: string) => Effect.Effect<TickReport, SensorNotFound>
  /** Wakes the sensor early without waiting. */
  readonly wake: (sensor: string) => Effect.Effect<void, SensorNotFound>
  /** Waits until the sensor has no run in flight and its cursor is committed up to its frontier. */
  readonly awaitIdle: (sensor: string) => Effect.Effect<void, SensorNotFound>
  /** Relaunches failed runs (all of the sensor's, or one) from their stored items; returns their keys. */
  readonly retryFailed: (
    sensor: string,
    runKey?: string | undefined
  ) => Effect.Effect<ReadonlyArray<string>, SensorNotFound | SensorStoreError>
  readonly status: (sensor: string) => Effect.Effect<SensorStatus, SensorNotFound>
}

export class SensorRunner extends Context.Service<SensorRunner, SensorRunnerShape>()(
  "@medallion/sensors/SensorRunner"
) {}

interface Trigger {
  readonly cause: TickCause
  readonly reply?: Deferred.Deferred<TickReport> | undefined
}

interface Session {
  readonly frontier: () => unknown
  readonly watermark: Watermark.Watermark
  readonly triggers: Queue.Queue<Trigger>
  readonly isIdle: () => boolean
  readonly launch: (runs: ReadonlyArray<StoredRun>) => Effect.Effect<void>
}

const encodedSize = (json: unknown) => Buffer.byteLength(JSON.stringify(json), "utf8")

/** Keeps the first request of each run key: duplicates within a tick collapse. */
const collapse = <Item>(runs: ReadonlyArray<RunRequest<Item>>): ReadonlyArray<RunRequest<Item>> => {
  const seen = new Set<string>()
  return runs.filter((run) => (seen.has(run.runKey) ? false : (seen.add(run.runKey), true)))
}

export const make = Effect.fnUntraced(function* <R>(
  sensors: ReadonlyArray<AnySensor<R>>,
  options: SensorRunnerOptions = {}
) {
  const store = yield* SensorStore
  const launcher = yield* RunLauncher
  const context = yield* Effect.context<R>()
  const scope = yield* Scope.Scope
  const owner = options.owner ?? `${Os.hostname()}:${process.pid}:${Crypto.randomUUID().slice(0, 8)}`
  const leaseTtl = Duration.fromInputUnsafe(options.leaseTtl ?? Duration.seconds(15))
  const acquireInterval = Duration.fromInputUnsafe(options.acquireInterval ?? Duration.seconds(5))
  const wakeFloorMs = Duration.toMillis(Duration.fromInputUnsafe(options.wakeFloor ?? Duration.seconds(1)))
  const keepTicks = options.keepTicks ?? 1000
  const runMaxAgeMs = Duration.toMillis(Duration.fromInputUnsafe(options.runMaxAge ?? Duration.days(7)))
  const pruneEvery = options.pruneEvery ?? 100
  const onDemand = options.ticks === "on-demand"

  const byName = new Map<string, AnySensor<R>>()
  for (const sensor of sensors) {
    if (byName.has(sensor.name)) return yield* Effect.die(new Error(`two sensors are named ${sensor.name}`))
    byName.set(sensor.name, sensor)
  }
  const sessions = new Map<string, Session>()
  // `awaitIdle` callers, released whenever their sensor's session becomes idle.
  const idleWaiters = new Map<string, Array<Deferred.Deferred<void>>>()
  const notifyIfIdle = (name: string) =>
    Effect.gen(function* () {
      const current = sessions.get(name)
      const list = idleWaiters.get(name)
      if (!current || !list || list.length === 0 || !current.isIdle()) return
      idleWaiters.delete(name)
      for (const waiter of list) yield* Deferred.succeed(waiter, undefined)
    })
  // Requests that arrive while a sensor has no session (not owned yet) wait here.
  const waiting = new Map<string, Array<Trigger>>()

  const codecs = new Map(
    sensors.map((sensor) => [
      sensor.name,
      {
        cursor: Schema.toCodecJson(sensor.cursor),
        item: Schema.toCodecJson(sensor.job.item) as Schema.Codec<unknown, unknown>
      }
    ])
  )
  const codecOf = (sensor: AnySensor<R>) => codecs.get(sensor.name)!

  const execute = yield* RunExecutor.make(sensors)
  const toLaunch = (sensor: AnySensor<R>, runKey: string, items: ReadonlyArray<unknown>): LaunchRun => ({
    sensor: sensor.name,
    runKey,
    items,
    execute: (encoded) => execute(sensor.name, encoded)
  })

  const session = Effect.fnUntraced(function* (sensor: AnySensor<R>) {
    const sessionScope = yield* Scope.Scope
    const lost = yield* Deferred.make<never, LeaseLost>()
    const codec = codecOf(sensor)
    const maxInFlight = options.maxInFlightRuns ?? 4 * sensor.maxRunsPerTick

    // The previous owner may have died mid-tick: its `started` ticks will never finish.
    const abandoned = yield* store.abandonTicks(sensor.name, "abandoned: its owner stopped before the tick finished")
    if (abandoned > 0) yield* Effect.logWarning("marked abandoned ticks as failed", { abandoned })

    const stored = yield* store.getCursor(sensor.name)
    const committedJson = Option.getOrElse(stored, () => null)
    let frontierJson: unknown = committedJson
    let lastPut: string = JSON.stringify(committedJson)
    const watermark = Watermark.make(committedJson)
    const commitLock = yield* Semaphore.make(1)
    let ticks = 0

    const commit = (result: { readonly advanced: boolean; readonly cursor: unknown }) =>
      Effect.gen(function* () {
        if (result.advanced && JSON.stringify(result.cursor) !== lastPut) {
          yield* store.putCursor(sensor.name, owner, result.cursor)
          lastPut = JSON.stringify(result.cursor)
        }
        yield* notifyIfIdle(sensor.name)
      })

    const leaseLost = (error: LeaseLost) => Deferred.fail(lost, error).pipe(Effect.asVoid)

    const onFinished = (runKey: string) =>
      commitLock.withPermit(Effect.suspend(() => commit(watermark.finished(runKey)))).pipe(
        Effect.catchTag("LeaseLost", leaseLost),
        Effect.catch((error) => Effect.logError("cursor could not be committed", { error }))
      )

    const launch = (runs: ReadonlyArray<StoredRun>) =>
      Effect.gen(function* () {
        const fresh = runs.filter((run) => !watermark.inFlight.has(run.runKey))
        if (fresh.length === 0) return
        watermark.launched(fresh.map((run) => run.runKey))
        yield* launcher
          .start(
            fresh.map((run) =>
              toLaunch(
                sensor,
                run.runKey,
                run.failures.length > 0 ? run.failures.map((failure) => failure.item) : run.items
              )
            ),
            onFinished
          )
          .pipe(Scope.provide(sessionScope))
      })

    // Runs a dead owner left requested or running are relaunched; the first tick waits for them.
    yield* launch(yield* store.unfinishedRuns(sensor.name))

    const decodeFrontier = Effect.suspend(() =>
      Schema.decodeUnknownEffect(codec.cursor)(frontierJson ?? undefined)
    ).pipe(Effect.mapError((error) => new CursorDecodeError({ sensor: sensor.name, message: error.message })))

    const finish = (
      tickId: number,
      started: number,
      status: TickReport["status"],
      reason: string | null,
      cursorAfter: unknown,
      runKeys: ReadonlyArray<string>,
      requested: ReadonlyArray<string>
    ) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* Metric.update(Metric.withAttributes(ticksTotal, { sensor: sensor.name, status }), 1)
        yield* Metric.update(
          Metric.withAttributes(tickDuration, { sensor: sensor.name }),
          Duration.millis(Math.max(0, now - started))
        )
        if (requested.length > 0) {
          yield* Metric.update(Metric.withAttributes(runsRequested, { sensor: sensor.name }), requested.length)
        }
        yield* store.finishTick(tickId, {
          status,
          reason: reason === null ? null : reason.slice(0, 4000),
          cursorAfter,
          runKeys,
          durationMs: Math.max(0, now - started)
        })
        return {
          sensor: sensor.name,
          tickId,
          causes: currentCauses,
          status,
          reason,
          runKeys,
          requested,
          cursorBefore: frontierJson,
          cursorAfter
        } satisfies TickReport
      })

    // The causes of the tick in progress; whether it evaluated, and the deadline its evaluation named.
    let currentCauses: ReadonlyArray<TickCause> = []
    let evaluatedNow = false
    let wakeAt: number | undefined
    const tick = Effect.gen(function* () {
      evaluatedNow = false
      const started = yield* Clock.currentTimeMillis
      const before = frontierJson
      if (watermark.inFlight.size >= maxInFlight) {
        const tickId = yield* store.startTick(sensor.name, before)
        return yield* finish(
          tickId,
          started,
          "skipped",
          `backpressure: ${watermark.inFlight.size} runs in flight (limit ${maxInFlight})`,
          before,
          [],
          []
        )
      }
      if (yield* store.isPaused(sensor.name)) {
        const tickId = yield* store.startTick(sensor.name, before)
        return yield* finish(tickId, started, "skipped", "paused by an operator", before, [], [])
      }
      const tickId = yield* store.startTick(sensor.name, before)
      const failed = (reason: string) => finish(tickId, started, "failed", reason, before, [], [])

      const evaluated = yield* Effect.gen(function* () {
        const cursor = yield* decodeFrontier
        return yield* sensor.evaluate(cursor, { maxRuns: sensor.maxRunsPerTick, now: started }) as Effect.Effect<
          Evaluation<unknown, unknown>,
          unknown,
          R
        >
      }).pipe(
        Effect.timeoutOrElse({
          duration: sensor.tickTimeout,
          orElse: () => Effect.fail(`tick timed out after ${Duration.format(sensor.tickTimeout)}`)
        }),
        Effect.provideContext(context),
        Effect.exit
      )
      if (Exit.isFailure(evaluated)) {
        if (Cause.hasInterruptsOnly(evaluated.cause)) return yield* Effect.interrupt
        return yield* failed(reasonOf(evaluated.cause))
      }
      const evaluation = evaluated.value
      evaluatedNow = true
      wakeAt = evaluation.wakeAt

      const nextJson = yield* Effect.exit(Schema.encodeUnknownEffect(codec.cursor)(evaluation.cursor))
      if (Exit.isFailure(nextJson)) return yield* failed(`the next cursor does not encode: ${reasonOf(nextJson.cause)}`)
      const size = encodedSize(nextJson.value)
      if (size > sensor.maxCursorBytes) {
        const error = new CursorTooLarge({ sensor: sensor.name, bytes: size, limit: sensor.maxCursorBytes })
        return yield* failed(`${error._tag}: ${error.message}`)
      }
      const cursorProblem = PgText.jsonProblem(nextJson.value)
      if (cursorProblem !== undefined) return yield* failed(`the next cursor cannot be stored: ${cursorProblem}`)

      if (evaluation._tag === "Skip" && (evaluation.quarantined ?? []).length === 0) {
        const report = yield* finish(tickId, started, "skipped", evaluation.reason, nextJson.value, [], [])
        frontierJson = nextJson.value
        yield* commitLock.withPermit(Effect.suspend(() => commit(watermark.register(nextJson.value, [], []))))
        return report
      }

      const runs = evaluation._tag === "Runs" ? collapse(evaluation.runs) : []
      if (runs.length > sensor.maxRunsPerTick) {
        return yield* failed(
          `${runs.length} run requests exceed the cap of ${sensor.maxRunsPerTick} per tick: the sensor must page with its cursor`
        )
      }
      // Items that cannot be recorded are set aside as a failed quarantine run; the others go on.
      const prepared = Quarantine.prepare(codec.item, runs)
      const encodedRuns = prepared.runs.map((run) => toLaunch(sensor, run.runKey, run.items))
      const quarantine = Quarantine.record([...(evaluation.quarantined ?? []), ...prepared.quarantined])
      const runKeys = [...encodedRuns.map((run) => run.runKey), ...(quarantine ? [quarantine.runKey] : [])]

      // The hand-off: dedup, the launcher's accept, the quarantine record, the tick record (and the cursor,
      // for durable launchers) commit together, under the lease's row lock. Not cut off by the tick
      // timeout: a commit interrupted half-way would leave it unknown whether the runs were accepted.
      const accepted = yield* store
        .withTransaction(
          Effect.gen(function* () {
            yield* store.assertOwner(sensor.name, owner)
            const existing = yield* store.existingRunKeys(sensor.name, runKeys)
            const fresh = encodedRuns.filter((run) => !existing.has(run.runKey))
            yield* launcher.accept(fresh)
            const quarantined = quarantine !== undefined && !existing.has(quarantine.runKey) ? quarantine : undefined
            if (quarantined) yield* store.insertFailedRuns(sensor.name, [quarantined])
            if (launcher.cursorCommit === "accept") yield* store.putCursor(sensor.name, owner, nextJson.value)
            const notes = [
              evaluation.reason,
              fresh.length < encodedRuns.length ? `${encodedRuns.length - fresh.length} runs already known` : undefined,
              quarantine ? `${quarantine.failures.length} item(s) quarantined in run ${quarantine.runKey}` : undefined
            ].filter((note) => note !== undefined && note !== "")
            const report = yield* finish(
              tickId,
              started,
              "success",
              notes.length === 0 ? null : notes.join("; "),
              nextJson.value,
              runKeys,
              fresh.map((run) => run.runKey)
            )
            return {
              report,
              fresh,
              quarantined,
              existing: encodedRuns.filter((run) => existing.has(run.runKey)).map((run) => run.runKey)
            }
          })
        )
        .pipe(Effect.exit)
      if (Exit.isFailure(accepted)) {
        const error = Cause.squash(accepted.cause)
        if (error instanceof LeaseLost) yield* leaseLost(error)
        if (Cause.hasInterruptsOnly(accepted.cause)) return yield* Effect.interrupt
        return yield* failed(`runs not accepted: ${reasonOf(accepted.cause)}`)
      }
      if (accepted.value.quarantined) {
        const { failures, runKey } = accepted.value.quarantined
        yield* Metric.update(Metric.withAttributes(itemsQuarantined, { sensor: sensor.name }), failures.length)
        yield* Effect.logWarning("items quarantined: they cannot be handed to a run", {
          runKey,
          items: failures.length,
          reasons: failures.slice(0, 10).map((failure) => `${JSON.stringify(failure.item)}: ${failure.reason}`)
        })
      }
      const { existing, fresh, report } = accepted.value
      frontierJson = nextJson.value
      if (launcher.cursorCommit === "accept") {
        lastPut = JSON.stringify(nextJson.value)
      } else {
        yield* commitLock.withPermit(
          Effect.suspend(() => {
            watermark.launched(fresh.map((run) => run.runKey))
            return commit(
              watermark.register(
                nextJson.value,
                fresh.map((run) => run.runKey),
                existing
              )
            )
          })
        )
      }
      yield* launcher.start(fresh, onFinished).pipe(Scope.provide(sessionScope))
      // A full page means more is waiting: tick again soon instead of after the whole interval.
      if (runs.length >= sensor.maxRunsPerTick) yield* Queue.offer(triggers, { cause: "more" })
      return report
    }).pipe(
      Effect.catchTag("LeaseLost", (error) => Effect.andThen(leaseLost(error), Effect.never)),
      Effect.withSpan("SensorRunner.tick", { attributes: { sensor: sensor.name } })
    )

    const triggers = yield* Queue.unbounded<Trigger>()
    const pending = waiting.get(sensor.name) ?? []
    waiting.delete(sensor.name)
    yield* Queue.offerAll(triggers, onDemand ? pending : [{ cause: "start" }, ...pending])

    // One timer at a time for the deadline the latest evaluation named; the next evaluation replaces it (a
    // tick that did not evaluate, under backpressure or paused, keeps it). A deadline beyond the polling
    // interval is left to the poll (a writer's clock far ahead would arm it for nothing).
    let settleTimer: Fiber.Fiber<void> | undefined
    const armSettleTimer = Effect.gen(function* () {
      // On demand (the test runner), a tick happens only when asked for.
      if (onDemand || !evaluatedNow) return
      if (settleTimer !== undefined) yield* Fiber.interrupt(settleTimer)
      settleTimer = undefined
      if (wakeAt === undefined) return
      const delay = Math.max(0, wakeAt - (yield* Clock.currentTimeMillis))
      if (delay >= Duration.toMillis(sensor.minInterval)) return
      settleTimer = yield* Effect.forkIn(
        Effect.andThen(Effect.sleep(Duration.millis(delay)), Effect.asVoid(Queue.offer(triggers, { cause: "settle" }))),
        sessionScope
      )
    })

    let lastTickStart = Number.NEGATIVE_INFINITY
    const loop = Effect.gen(function* () {
      const batch = yield* Queue.takeAll(triggers)
      const now = yield* Clock.currentTimeMillis
      const wait = lastTickStart + wakeFloorMs - now
      if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
      lastTickStart = yield* Clock.currentTimeMillis
      // Triggers that arrived during the wait are served by this tick too.
      const more = yield* Queue.clear(triggers)
      currentCauses = [...new Set([...batch, ...more].map((trigger) => trigger.cause))]
      const report = yield* tick.pipe(
        Effect.catch((error) =>
          Effect.as(Effect.logError("tick could not be recorded", { error }), {
            sensor: sensor.name,
            tickId: -1,
            causes: currentCauses,
            status: "failed" as const,
            reason: reasonOf(Cause.fail(error)),
            runKeys: [],
            requested: [],
            cursorBefore: frontierJson,
            cursorAfter: frontierJson
          })
        )
      )
      if (report.status === "failed") yield* Effect.logWarning("tick failed", { reason: report.reason })
      yield* armSettleTimer
      for (const trigger of [...batch, ...more]) if (trigger.reply) yield* Deferred.succeed(trigger.reply, report)
      ticks++
      if (ticks % pruneEvery === 0) {
        yield* store
          .prune({ keepTicks, runMaxAgeMs })
          .pipe(Effect.catch((error) => Effect.logWarning("retention failed", { error })))
      }
    }).pipe(Effect.forever)

    const heartbeat = store.renewLease(sensor.name, owner, Duration.toMillis(leaseTtl)).pipe(
      Effect.flatMap((held) => (held ? Effect.void : leaseLost(new LeaseLost({ sensor: sensor.name, owner })))),
      Effect.catch((error) => Effect.logWarning("lease renewal failed", { error })),
      Effect.repeat(Schedule.spaced(Duration.divideUnsafe(leaseTtl, 3)))
    )

    const interval = Stream.fromSchedule(Schedule.spaced(sensor.minInterval).pipe(Schedule.jittered)).pipe(
      Stream.runForEach(() => Queue.offer(triggers, { cause: "interval" }))
    )
    const wakeups = sensor.wake
      ? sensor.wake.pipe(
          Stream.runForEach(() => Queue.offer(triggers, { cause: "wake" })),
          Effect.provideContext(context)
        )
      : Effect.void

    sessions.set(sensor.name, {
      frontier: () => frontierJson,
      watermark,
      triggers,
      isIdle: () => watermark.inFlight.size === 0 && watermark.pendingTicks === 0,
      launch
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => sessions.delete(sensor.name)))
    yield* notifyIfIdle(sensor.name)

    yield* Effect.forkIn(heartbeat, sessionScope)
    if (!onDemand) {
      yield* Effect.forkIn(interval, sessionScope)
      yield* Effect.forkIn(wakeups, sessionScope)
    }
    yield* Effect.forkIn(loop, sessionScope)
    return yield* Deferred.await(lost)
  })

  const own = (sensor: AnySensor<R>) =>
    Effect.gen(function* () {
      const initial = yield* Schema.encodeUnknownEffect(codecOf(sensor).cursor)(sensor.initial).pipe(Effect.orDie)
      const acquired = yield* store.acquireLease(sensor.name, owner, Duration.toMillis(leaseTtl), initial)
      if (!acquired) return yield* Effect.sleep(acquireInterval)
      yield* Effect.logInfo("owning sensor", { owner })
      return yield* Effect.scoped(session(sensor))
    }).pipe(
      Effect.catch((error) =>
        Effect.andThen(Effect.logWarning("sensor session ended", { error }), Effect.sleep(acquireInterval))
      ),
      Effect.forever,
      Effect.annotateLogs({ sensor: sensor.name })
    )

  for (const sensor of sensors) {
    // Leave the lease for a successor at once on a clean shutdown (finalizers run in reverse order, so
    // this runs after the sensor's fibers, and its runs, were interrupted).
    yield* Scope.addFinalizer(scope, store.releaseLease(sensor.name, owner).pipe(Effect.ignore))
    yield* Effect.forkIn(own(sensor), scope)
  }

  const lookup = (name: string) =>
    byName.has(name) ? Effect.succeed(byName.get(name)!) : Effect.fail(new SensorNotFound({ sensor: name }))

  const enqueue = (name: string, trigger: Trigger) =>
    Effect.gen(function* () {
      yield* lookup(name)
      const current = sessions.get(name)
      if (current) return yield* Queue.offer(current.triggers, trigger)
      const list = waiting.get(name) ?? []
      list.push(trigger)
      waiting.set(name, list)
    })

  return SensorRunner.of({
    owner,
    tick: (name) =>
      Effect.gen(function* () {
        const reply = yield* Deferred.make<TickReport>()
        yield* enqueue(name, { cause: "request", reply })
        return yield* Deferred.await(reply)
      }),
    wake: (name) => Effect.asVoid(enqueue(name, { cause: "wake" })),
    awaitIdle: (name) =>
      Effect.gen(function* () {
        yield* lookup(name)
        if (sessions.get(name)?.isIdle()) return
        const waiter = yield* Deferred.make<void>()
        const list = idleWaiters.get(name) ?? []
        list.push(waiter)
        idleWaiters.set(name, list)
        yield* notifyIfIdle(name)
        yield* Deferred.await(waiter)
      }),
    retryFailed: (name, runKey) =>
      Effect.gen(function* () {
        yield* lookup(name)
        const reset = yield* store.resetFailedRuns(name, runKey)
        const current = sessions.get(name)
        // Without a session here, the owner (or the next one) relaunches them as unfinished runs.
        if (current) yield* current.launch(reset)
        return reset.map((run) => run.runKey)
      }),
    status: (name) =>
      Effect.gen(function* () {
        yield* lookup(name)
        const current = sessions.get(name)
        return {
          sensor: name,
          owned: current !== undefined,
          frontier: current?.frontier() ?? null,
          inFlight: current ? [...current.watermark.inFlight] : [],
          pendingTicks: current?.watermark.pendingTicks ?? 0
        }
      })
  })
})

/**
 * Runs `sensors` for as long as the layer lives: shutdown interrupts ticks and runs, and the persisted
 * cursor never passes unfinished work. Needs a `SensorStore`, a `RunLauncher` and what the sensors and
 * their jobs require.
 */
export const layer = <R>(
  sensors: ReadonlyArray<AnySensor<R>>,
  options?: SensorRunnerOptions
): Layer.Layer<SensorRunner, never, SensorStore | RunLauncher | R> => Layer.effect(SensorRunner, make(sensors, options))

/**
 * The runner for tests, with no database: the real runner on `SensorStore.layerTest` (merged into the
 * output, to inspect ticks and runs) with ticks on demand (`tick`, `wake`; no interval, no wake-up
 * streams, no wake floor) and, unless `launcher` says otherwise (e.g. `QueueLauncher.layerTest()` from
 * `@medallion/queue`), the in-process launcher retrying without delay. Works on the TestClock.
 */
export const layerTest = <R, L = RunLauncher>(
  sensors: ReadonlyArray<AnySensor<R>>,
  options: SensorRunnerOptions & {
    /** The launcher, on the same store; what else it provides (a probe) is in the output too. */
    readonly launcher?: Layer.Layer<RunLauncher | L, never, SensorStore> | undefined
  } = {}
): Layer.Layer<SensorRunner | SensorStore | RunLauncher | L, never, R> => {
  const { launcher, ...runner } = options
  // Without `launcher`, L is its default (RunLauncher): the in-process launcher provides exactly that.
  const launchers =
    launcher ??
    (InProcessLauncher.layer({ retryBase: 0, retryCap: 0 }) as Layer.Layer<RunLauncher | L, never, SensorStore>)
  return layer(sensors, { ticks: "on-demand", wakeFloor: 0, ...runner }).pipe(
    Layer.provideMerge(launchers),
    Layer.provideMerge(SensorStore.layerTest)
  )
}
