/**
 * Progress of a long command on stderr (stdout carries its result): a bar with rate and ETA on a
 * terminal (cli-progress), a plain line per tenth otherwise, so logs and CI get a few readable lines
 * rather than a redrawn bar. While the total is unknown (a walk still finding its work) the bar shows the
 * count and rate only, and the plain lines come every ten seconds.
 */
// The default import: Node finds `SingleBar` among the CommonJS module's named exports but not `Format`.
import cliProgress from "cli-progress"
import { Effect } from "effect"

export interface Update {
  /** What is being worked through; a new part (a table, say) starts a new bar. */
  readonly part?: string | undefined
  readonly done: number
  /** Undefined while unknown. */
  readonly total: number | undefined
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

/** Time between plain lines while the total is unknown. */
const UNKNOWN_TOTAL_LINE_EVERY_MS = 10_000

/**
 * The plain line for an update: `backfill 50/100 items, 12.5 items/s, failed 0, ETA 4 s`; with no total
 * yet, `reconcile 50 artifacts, 12.5 artifacts/s`.
 */
export const line = (options: Options, u: Update): string => {
  const rate = rateOf(u)
  const eta = rate > 0 && u.total !== undefined ? Math.round((u.total - u.done) / rate) : undefined
  const counts = countsOf(u)
  return (
    `${options.label}${u.part === undefined ? "" : ` ${u.part}:`} ${u.done}${u.total === undefined ? "" : `/${u.total}`} ${options.unit}, ` +
    `${rate.toFixed(1)} ${options.unit}/s${counts === "" ? "" : `, ${counts}`}${eta === undefined ? "" : `, ETA ${eta} s`}`
  )
}

const bar = (options: Options, stream: NodeJS.WriteStream): Progress => {
  const known = `${options.label}{part} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted}{counts}`
  const unknown = `${options.label}{part} {value} ${options.unit} | {rate} ${options.unit}/s{counts}`
  const singleBar = new cliProgress.SingleBar({
    format: (barOptions, params, payload: { readonly known: boolean }) =>
      cliProgress.Format.Formatter({ ...barOptions, format: payload.known ? known : unknown }, params, payload),
    stream,
    hideCursor: true
  })
  let part: string | null = null
  const payload = (u: Update) => ({
    known: u.total !== undefined,
    part: u.part === undefined ? "" : ` ${u.part}`,
    rate: rateOf(u).toFixed(1),
    counts: countsOf(u) === "" ? "" : ` | ${countsOf(u)}`
  })
  return {
    update: (u) =>
      Effect.sync(() => {
        if (part !== (u.part ?? "")) {
          if (part !== null) singleBar.stop()
          singleBar.start(u.total ?? 0, 0, payload(u))
          part = u.part ?? ""
        }
        singleBar.setTotal(u.total ?? 0)
        singleBar.update(u.done, payload(u))
      }),
    stop: Effect.sync(() => {
      if (part !== null) singleBar.stop()
      part = null
    })
  }
}

const lines = (options: Options, stream: NodeJS.WritableStream): Progress => {
  // Per part, the tenth last written (`t3`), or while the total is unknown the ten seconds (`s2`).
  const lastMark = new Map<string, string>()
  return {
    update: (u) =>
      Effect.sync(() => {
        const mark =
          u.total === undefined
            ? `s${Math.floor(u.elapsedMs / UNKNOWN_TOTAL_LINE_EVERY_MS)}`
            : `t${u.total === 0 ? 10 : Math.floor((u.done / u.total) * 10)}`
        if (lastMark.get(u.part ?? "") === mark) return
        lastMark.set(u.part ?? "", mark)
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
