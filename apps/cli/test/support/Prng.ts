/**
 * A small deterministic PRNG (mulberry32): the same seed always gives the same kill points, so a
 * failing seed can be replayed.
 */
export const make = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [min, max]. */
  const between = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  return { next, between }
}
