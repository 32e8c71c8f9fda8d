/**
 * The pool supervisor with pools of our own making (a pool is anything that can end and be stopped): a
 * pool that ends by itself is replaced, and a shutdown stops the current pool without starting another.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schedule, Scope } from "effect"
import * as PoolSupervisor from "../src/PoolSupervisor.ts"

interface FakePool {
  readonly id: number
  readonly ended: Promise<void>
  /** Ends the pool, as graphile-worker's pool does when it gives up or is stopped. */
  readonly end: () => void
}

const pools = () => {
  const started: Array<FakePool> = []
  const stopped: Array<number> = []
  const start = Effect.acquireRelease(
    Effect.sync(() => {
      let end = () => {}
      const ended = new Promise<void>((resolve) => (end = resolve))
      const pool: FakePool = { id: started.length + 1, ended, end }
      started.push(pool)
      return pool
    }),
    // Stopping resolves `ended` a moment later, as a real pool's stop does once its jobs are done.
    (pool) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              stopped.push(pool.id)
              pool.end()
              resolve()
            }, 10)
          )
      )
  )
  return { started, stopped, start }
}

const until = (check: () => boolean) =>
  Effect.gen(function* () {
    while (!check()) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
  })

describe("PoolSupervisor", () => {
  it.live(
    "a pool that ended by itself is replaced; a shutdown stops the current pool and starts no other",
    () =>
      Effect.gen(function* () {
        const { started, stopped, start } = pools()
        const scope = yield* Scope.make()
        const first = yield* PoolSupervisor.supervise(start, {
          ended: (pool) => pool.ended,
          retry: Schedule.spaced("10 millis")
        }).pipe(Scope.provide(scope))
        assert.strictEqual(first.id, 1)

        first.end()
        yield* until(() => started.length === 2)
        // The ended pool's scope was closed: its release ran.
        yield* until(() => stopped.includes(1))

        yield* Scope.close(scope, Exit.void)
        assert.deepStrictEqual(
          started.map((pool) => pool.id),
          [1, 2]
        )
        assert.deepStrictEqual(stopped, [1, 2])
        // Nothing starts later either.
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        assert.strictEqual(started.length, 2)
      }),
    30_000
  )

  it.live(
    "a shutdown while the first pool runs stops it once",
    () =>
      Effect.gen(function* () {
        const { started, stopped, start } = pools()
        const scope = yield* Scope.make()
        yield* PoolSupervisor.supervise(start, {
          ended: (pool) => pool.ended,
          retry: Schedule.spaced("10 millis")
        }).pipe(Scope.provide(scope))
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(started.length, 1)
        assert.deepStrictEqual(stopped, [1])
      }),
    30_000
  )
})
