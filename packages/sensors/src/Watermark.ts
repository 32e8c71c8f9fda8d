/**
 * The low watermark of finished runs, for launchers that run work after the tick commits.
 *
 * Ticks are registered in order with the cursor they reached and the runs they wait for. The persisted
 * cursor may move to a tick's cursor only once every run of that tick and of all earlier ticks has
 * finished (succeeded or failed); a skip tick waits for nothing of its own but still for earlier ticks.
 * So a crash at any point restarts from a cursor that never passed unfinished work.
 */

export interface Watermark {
  /** Runs started by this process and not finished yet. */
  readonly inFlight: ReadonlySet<string>
  /** Number of ticks whose cursor is not committable yet. */
  readonly pendingTicks: number
  /** Declares runs as executing; call before they can finish. */
  readonly launched: (runKeys: Iterable<string>) => void
  /**
   * Registers a tick: its cursor, the runs it requested, and the runs it named that already existed (those
   * still in flight here are waited for too). Returns the cursor that became committable, if any.
   */
  readonly register: (
    cursor: unknown,
    requested: ReadonlyArray<string>,
    existing: ReadonlyArray<string>
  ) => { readonly advanced: boolean; readonly cursor: unknown }
  /** A run finished. Returns the cursor that became committable, if any. */
  readonly finished: (runKey: string) => { readonly advanced: boolean; readonly cursor: unknown }
}

export const make = (committed: unknown): Watermark => {
  const inFlight = new Set<string>()
  const ticks: Array<{ readonly cursor: unknown; readonly waiting: Set<string> }> = []
  let current = committed

  const advance = () => {
    let advanced = false
    while (ticks.length > 0 && ticks[0]!.waiting.size === 0) {
      current = ticks.shift()!.cursor
      advanced = true
    }
    return { advanced, cursor: current }
  }

  return {
    inFlight,
    get pendingTicks() {
      return ticks.length
    },
    launched: (runKeys) => {
      for (const key of runKeys) inFlight.add(key)
    },
    register: (cursor, requested, existing) => {
      const waiting = new Set<string>()
      for (const key of requested) waiting.add(key)
      for (const key of existing) if (inFlight.has(key)) waiting.add(key)
      ticks.push({ cursor, waiting })
      return advance()
    },
    finished: (runKey) => {
      inFlight.delete(runKey)
      for (const tick of ticks) tick.waiting.delete(runKey)
      return advance()
    }
  }
}
