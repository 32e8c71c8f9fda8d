import { Effect } from "effect"

/**
 * Waits, in real time, until `condition` holds: for events that happen on a
 * real socket while the test runs on the TestClock. No deadline of its own:
 * the test's timeout is the limit.
 */
export const eventually = (condition: () => boolean): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        const poll = () => (condition() ? resolve() : setTimeout(poll, 5))
        poll()
      })
  )

/** Lets real I/O run for a moment (in real time) before checking that nothing happened. */
export const realPause = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise((r) => setTimeout(r, ms)))
