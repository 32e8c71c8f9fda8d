import { Effect } from "effect"

/**
 * Waits, in real time, until `condition` holds: for events that happen on a real socket while the test
 * runs on the TestClock. Past `timeoutMs` (real time, default 10 s) it fails, saying what it waited for,
 * instead of leaving the test to vitest's timeout.
 */
export const eventually = (
  condition: () => boolean,
  what = "the awaited condition",
  timeoutMs = 10_000
): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.promise(
      () =>
        new Promise<boolean>((resolve) => {
          const deadline = performance.now() + timeoutMs
          const poll = () =>
            condition() ? resolve(true) : performance.now() > deadline ? resolve(false) : setTimeout(poll, 5)
          poll()
        })
    ),
    (held) => (held ? Effect.void : Effect.die(new Error(`${what} did not happen within ${timeoutMs} ms`)))
  )

/** Lets real I/O run for a moment (in real time) before checking that nothing happened. */
export const realPause = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/**
 * `effect`, or a failure saying what did not finish once `ms` of real time passed: for effects that would
 * otherwise wait forever on the TestClock when the protection under test is missing.
 */
export const withinRealTime =
  (ms: number, what: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.raceFirst(
      effect,
      Effect.andThen(realPause(ms), Effect.die(new Error(`${what} did not finish within ${ms} ms`)))
    )
