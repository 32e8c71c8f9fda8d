/**
 * Every benchmark `pnpm bench <name>` runs: the module `./<name>.ts`, whose default export takes the
 * remaining arguments. Each accepts `--quick` (tiny sizes, seconds), which `pnpm bench:smoke` runs.
 */
export const BENCHES = {
  bronze: "bronze writes vs raw temp+fsync+link, catalog scan vs index tail",
  silver: "silver upserts vs COPY",
  search: "full-text search: query time and recall",
  workers: "transform items/s per kind, read + extract vs database share",
  scale: "sensor ticks at scale, end to end through transform daemons vs COPY",
  extraction: "extraction accuracy on the corpus of real pages and feeds",
  migrate: "legacy migration: rows/s and verify",
  latency: "bronze write -> run start, scan and index discovery",
  cli: "medallion start-up: CPU time and modules loaded vs node -e 0"
} as const

export type BenchName = keyof typeof BENCHES

export const isBench = (name: string): name is BenchName => Object.hasOwn(BENCHES, name)
