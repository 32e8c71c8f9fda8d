/**
 * Progress of a long command on stderr (stdout carries its result): a bar with rate and ETA on a
 * terminal (cli-progress), a plain line per tenth otherwise, so logs and CI get a few readable lines
 * rather than a redrawn bar.
 */
import { SingleBar } from "cli-progress"
import { Effect } from "effect"

export interface Update {
  /** What is being worked through; a new part (a table, say) starts a new bar. */
  readonly part?: string | undefined
  readonly done: number
  readonly total: number
  readonly elapsedMs: number
  /** Counters shown after the rate, in this order: `{ failed: 2 }` shows `failed 2`. */
  readonly counts?: Readonly<Record<string, number>> | undefined
}

export interface Progress {
  readonly update: (update: Update) => Effect.Effect<void>
  readonly stop: Effect.Effect<void>
}

export interface Options {
  /** The command, first on every line: `backfill`, `retry`. */
  readonly label: string
  /** What is counted: `items`, `rows`. */
  readonly unit: string
  /** Where it is written (default stderr); a bar only when it is a terminal. */
  readonly stream?: NodeJS.WriteStream | undefined
}

const rateOf = (u: Update) => (u.elapsedMs > 0 ? (u.done / u.elapsedMs) * 1000 : 0)
const countsOf = (u: Update) =>
  Object.entries(u.counts ?? {})
    .map(([name, n]) => `${name} ${n}`)
    .join(", ")

/** The plain line for an update: `backfill 50/100 items, 12.5 items/s, failed 0, ETA 4 s`. */
export const line = (options: Options, u: Update): string => {
  const rate = rateOf(u)
  const eta = rate > 0 ? Math.round((u.total - u.done) / rate) : undefined
  const counts = countsOf(u)
  return (
    `${options.label}${u.part === undefined ? "" : ` ${u.part}:`} ${u.done}/${u.total} ${options.unit}, ` +
    `${rate.toFixed(1)} ${options.unit}/s${counts === "" ? "" : `, ${counts}`}${eta === undefined ? "" : `, ETA ${eta} s`}`
  )
}

const bar = (options: Options, stream: NodeJS.WriteStream): Progress => {
  const singleBar = new SingleBar({
    format: `${options.label}{part} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted}{counts}`,
    stream,
    hideCursor: true
  })
  let part: string | null = null
  const payload = (u: Update) => ({
    part: u.part === undefined ? "" : ` ${u.part}`,
    rate: rateOf(u).toFixed(1),
    counts: countsOf(u) === "" ? "" : ` | ${countsOf(u)}`
  })
  return {
    update: (u) =>
      Effect.sync(() => {
        if (part !== (u.part ?? "")) {
          if (part !== null) singleBar.stop()
          singleBar.start(u.total, 0, payload(u))
          part = u.part ?? ""
        }
        singleBar.setTotal(u.total)
        singleBar.update(u.done, payload(u))
      }),
    stop: Effect.sync(() => {
      if (part !== null) singleBar.stop()
      part = null
    })
  }
}

const lines = (options: Options, stream: NodeJS.WritableStream): Progress => {
  const lastTenth = new Map<string, number>()
  return {
    update: (u) =>
      Effect.sync(() => {
        const tenth = u.total === 0 ? 10 : Math.floor((u.done / u.total) * 10)
        if (lastTenth.get(u.part ?? "") === tenth) return
        lastTenth.set(u.part ?? "", tenth)
        stream.write(`${line(options, u)}\n`)
      }),
    stop: Effect.void
  }
}

/** A bar on a terminal, a line per tenth otherwise. */
export const make = (options: Options): Progress => {
  const stream = options.stream ?? process.stderr
  return stream.isTTY ? bar(options, stream) : lines(options, stream)
}
