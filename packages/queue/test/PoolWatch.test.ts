/**
 * The pool watch on an event emitter of our own, fed the events graphile-worker emits, with a clock
 * moved by hand: a pool that shuts itself down or stalls is done for; a busy or polling one is not.
 */
import { EventEmitter } from "node:events"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { WorkerEvents } from "graphile-worker"
import * as PoolWatch from "../src/PoolWatch.ts"

const STALL_AFTER_MS = 30_000

const setup = (options: { readonly concurrency?: number; readonly ended?: Promise<unknown> } = {}) => {
  const events: WorkerEvents = new EventEmitter()
  let time = 0
  const watch = PoolWatch.watch(events, "pool-a", options.ended ?? new Promise(() => {}), {
    concurrency: options.concurrency ?? 2,
    stallAfterMs: STALL_AFTER_MS,
    checkEveryMs: 2,
    now: () => time
  })
  let reason: string | undefined
  void watch.done.then((value) => (reason = value))
  const worker = (pool: string) => ({ worker: { workerPool: { id: pool } } }) as never
  return {
    events,
    watch,
    reason: () => reason,
    advance: (ms: number) => (time += ms),
    lookup: (pool = "pool-a") => events.emit("worker:getJob:empty", worker(pool)),
    jobStart: (pool = "pool-a") => events.emit("job:start", worker(pool)),
    jobComplete: (pool = "pool-a") => events.emit("job:complete", worker(pool)),
    shutdown: (pool: string, message: string) =>
      events.emit("pool:gracefulShutdown", { workerPool: { id: pool }, message } as never)
  }
}

/** Lets the watch's timer run a few checks. */
const checks = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 30)))

describe("PoolWatch", () => {
  it.live("a pool that shuts itself down is done for, with its reason; another pool's shutdown is not its own", () =>
    Effect.gen(function* () {
      const pool = setup()
      pool.shutdown("pool-b", "not this one")
      yield* checks
      assert.isUndefined(pool.reason())
      pool.shutdown("pool-a", "Could not failJobs; queue is in an inconsistent state; aborting.")
      yield* checks
      assert.match(pool.reason()!, /shutting itself down: Could not failJobs/)
      // Done for good: the listeners and the timer are gone.
      assert.strictEqual(pool.events.listenerCount("pool:gracefulShutdown"), 0)
      assert.strictEqual(pool.events.listenerCount("worker:getJob:empty"), 0)
    })
  )

  it.live("a pool whose workers keep looking for jobs is alive; one whose free workers stop looking has stalled", () =>
    Effect.gen(function* () {
      const pool = setup()
      for (let i = 0; i < 20; i++) {
        pool.advance(5_000)
        pool.lookup()
        yield* checks
      }
      assert.isUndefined(pool.reason())
      // Lookups by another pool's workers are not this pool's.
      pool.advance(STALL_AFTER_MS / 2)
      pool.lookup("pool-b")
      yield* checks
      assert.isUndefined(pool.reason())
      pool.advance(STALL_AFTER_MS / 2 + 1)
      pool.lookup("pool-b")
      yield* checks
      assert.match(pool.reason()!, /stalled: no worker looked for a job for 30001 ms while 0 of 2 were busy/)
    })
  )

  it.live("a pool whose every worker runs a long job has not stalled; once one is free again, it must look", () =>
    Effect.gen(function* () {
      const pool = setup({ concurrency: 2 })
      pool.jobStart()
      pool.jobStart()
      pool.advance(10 * STALL_AFTER_MS)
      yield* checks
      assert.isUndefined(pool.reason())
      pool.jobComplete()
      pool.advance(STALL_AFTER_MS)
      yield* checks
      assert.isUndefined(pool.reason())
      pool.advance(1)
      yield* checks
      assert.match(pool.reason()!, /stalled: .* while 1 of 2 were busy/)
    })
  )

  it.live("a pool that ended is done for", () =>
    Effect.gen(function* () {
      const pool = setup({ ended: Promise.reject(new Error("boom")) })
      yield* checks
      assert.strictEqual(pool.reason(), "it ended with an error: Error: boom")
    })
  )

  it.live("dispose stops watching: a later shutdown or stall is not reported", () =>
    Effect.gen(function* () {
      const pool = setup()
      pool.watch.dispose()
      pool.shutdown("pool-a", "too late")
      pool.advance(10 * STALL_AFTER_MS)
      yield* checks
      assert.isUndefined(pool.reason())
      assert.strictEqual(pool.events.listenerCount("job:start"), 0)
    })
  )
})
