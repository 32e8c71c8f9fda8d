/**
 * Tells, from graphile-worker's events, when one of its worker pools is done for, which its promise does
 * not always tell:
 *
 * - A pool gives up by shutting itself down (e.g. it could not record a job's outcome while the database
 *   was down). Its promise may then never settle: in graphile-worker 0.18 the batched completion and
 *   failure miscount their pending calls once a second batch fails, so the pool's shutdown waits for them
 *   forever (the same code as graphile/worker#636). The start of such a shutdown is the end of the pool.
 * - A pool whose idle workers stopped looking for jobs (a connection that hangs instead of failing) takes
 *   nothing more from the queue while it looks alive. An idle worker looks every poll interval, so a pool
 *   with a free worker and no lookup, start or end of a job for `stallAfter` has stalled.
 *
 * A shutdown the caller asked for resolves it too, when the caller no longer waits for it.
 */
import type { WorkerEvents } from "graphile-worker"

/** The part of a worker event's payload that names its pool. */
interface WorkerPayload {
  readonly worker: { readonly workerPool: { readonly id: string } }
}

/** The part of a pool shutdown event's payload that names the pool and why. */
interface ShutdownPayload {
  readonly workerPool: { readonly id: string }
  readonly message?: string
}

export interface PoolWatchOptions {
  /** The pool's number of workers. */
  readonly concurrency: number
  /** How long a pool with a free worker may go without any job lookup before it counts as stalled. */
  readonly stallAfterMs: number
  /** How often the stall is checked. */
  readonly checkEveryMs: number
  /** The time in milliseconds: the caller's `Clock` (tests move it by hand). */
  readonly now: () => number
}

export interface PoolWatch {
  /** Resolves with why the pool is done for: it ended, it is shutting itself down, or it stalled. */
  readonly done: Promise<string>
  /** Stops watching (removes the listeners and the timer). */
  readonly dispose: () => void
}

export const watch = (
  events: WorkerEvents,
  poolId: string,
  ended: Promise<unknown>,
  options: PoolWatchOptions
): PoolWatch => {
  const now = options.now
  let lastActivity = now()
  let running = 0
  let finish: (reason: string) => void = () => {}
  const done = new Promise<string>((resolve) => {
    finish = resolve
  })

  // A worker of this pool looked for a job (`delta` 0), started one (1) or finished one (-1).
  const activity = (delta: number) => (payload: WorkerPayload) => {
    if (payload.worker.workerPool.id !== poolId) return
    running = Math.max(0, running + delta)
    lastActivity = now()
  }
  const onShutdown = (payload: ShutdownPayload) => {
    if (payload.workerPool.id === poolId) finish(`it is shutting itself down: ${payload.message ?? "no reason given"}`)
  }
  const listeners: ReadonlyArray<
    readonly [string, ((payload: WorkerPayload) => void) | ((payload: ShutdownPayload) => void)]
  > = [
    ["worker:getJob:empty", activity(0)],
    ["worker:getJob:error", activity(0)],
    ["job:start", activity(1)],
    ["job:complete", activity(-1)],
    ["pool:gracefulShutdown", onShutdown],
    ["pool:forcefulShutdown", onShutdown]
  ]
  // The emitter is shared by every pool of the worker: each listener filters on this pool's id.
  const emitter: NodeJS.EventEmitter = events
  for (const [name, listener] of listeners) emitter.on(name, listener)
  const timer = setInterval(() => {
    const silentFor = now() - lastActivity
    if (running < options.concurrency && silentFor > options.stallAfterMs) {
      finish(
        `it stalled: no worker looked for a job for ${silentFor} ms while ${running} of ${options.concurrency} were busy`
      )
    }
  }, options.checkEveryMs)
  timer.unref()
  ended.then(
    () => finish("it ended"),
    (error) => finish(`it ended with an error: ${String(error)}`)
  )

  const dispose = () => {
    clearInterval(timer)
    for (const [name, listener] of listeners) emitter.off(name, listener)
  }
  void done.then(dispose)
  return { done, dispose }
}
