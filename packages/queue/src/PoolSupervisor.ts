/**
 * Keeps a worker pool running for as long as the caller's scope lives. A pool that gives up (it could not
 * reach the database) or stalls is replaced: another is started, retried until it starts, so the daemon
 * goes on consuming the queue once the database is back.
 *
 * Each pool lives in a scope of its own, owned by the supervising fiber. On shutdown that fiber is
 * interrupted first (it was forked after the first pool's scope, and finalizers run in reverse), which
 * closes the current pool's scope: the pool stops gracefully and no other is started in its place. (Pools
 * acquired in the caller's scope would be stopped before the fiber is interrupted, and the fiber would
 * see a pool end and start another.)
 */
import { Effect, Exit, Schedule, Scope } from "effect"

export interface SuperviseOptions<P, E> {
  /**
   * Settles when the pool is done for: it stopped or gave up by itself (or its scope closed). The value
   * or error is logged as the reason for the replacement.
   */
  readonly ended: (pool: P) => Promise<unknown>
  /** How a replacement's failed start is retried. */
  readonly retry: Schedule.Schedule<unknown, E>
}

/**
 * Starts a pool with `start` (which acquires it in the scope it is given) and forks the fiber replacing
 * it whenever it ends by itself. Fails when the first pool cannot start; returns it.
 */
export const supervise = Effect.fnUntraced(function* <P, E, R>(
  start: Effect.Effect<P, E, R | Scope.Scope>,
  options: SuperviseOptions<P, E>
) {
  let current = yield* Scope.fork(yield* Effect.scope)
  const first = yield* Scope.provide(current)(start)
  const replace = Effect.gen(function* () {
    let pool = first
    while (true) {
      const ended = yield* Effect.result(Effect.tryPromise(() => options.ended(pool)))
      yield* Scope.close(current, Exit.void)
      yield* Effect.logError("the queue worker pool stopped; starting a new one", {
        reason: ended._tag === "Failure" ? String(ended.failure.cause) : String(ended.success)
      })
      current = yield* Scope.make()
      pool = yield* Scope.provide(current)(start).pipe(
        Effect.tapError((error) => Effect.logWarning("queue worker pool not started yet", { error })),
        Effect.retry(options.retry)
      )
    }
  })
  yield* Effect.forkScoped(replace.pipe(Effect.ensuring(Effect.suspend(() => Scope.close(current, Exit.void)))))
  return first
})
