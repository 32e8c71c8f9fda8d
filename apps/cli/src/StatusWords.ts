/**
 * The report of `status` in words: per layer, what is there, what is waiting and why, what failed and
 * the command that retries it. The numbers are the report's (`StatusReport`); this module only says
 * what each means, so the demo's closing summary and `status` say the same.
 */
import type { StatusReport } from "@medallion/sensors"

type Counts = StatusReport.StatusReport["counts"]
type Count = Counts[number]

const sum = (counts: Counts, keep: (c: Count) => boolean) => counts.filter(keep).reduce((n, c) => n + c.count, 0)

/** `hn 8, feed 2`: the items of `counts` that `keep` holds, per source, most first. */
export const perSource = (counts: Counts, keep: (c: Count) => boolean = () => true): string => {
  const by = new Map<string, number>()
  for (const c of counts) if (keep(c)) by.set(c.sourceType, (by.get(c.sourceType) ?? 0) + c.count)
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([source, n]) => `${source} ${n}`)
    .join(", ")
}

const row = (count: number, label: string, meaning: string, sources: string) =>
  `  ${String(count).padStart(6)} ${label.padEnd(15)} ${meaning}${sources === "" ? "" : ` (${sources})`}`

interface Meaning {
  readonly status: string
  readonly label: string
  readonly meaning: string
}

const FETCH: ReadonlyArray<Meaning> = [
  { status: "fetched", label: "fetched", meaning: "the content is in bronze" },
  { status: "pending", label: "waiting", meaning: "listed by a source, fetched at one of its next runs" },
  { status: "skipped", label: "not fetched", meaning: "on purpose, for the reasons below" },
  { status: "gone", label: "gone", meaning: "the source no longer has it (deleted, 404 or 410)" },
  { status: "failed", label: "failed", meaning: "the fetch failed (see failed, below)" }
]

const TRANSCRIPTION: ReadonlyArray<Meaning> = [
  { status: "transcribed", label: "transcribed", meaning: "the transcript is in silver, searchable" },
  { status: "pending", label: "waiting", meaning: "media found, the fetch daemon transcribes it next" },
  { status: "skipped", label: "not transcribed", meaning: "on purpose, for the reasons below" },
  { status: "failed", label: "failed", meaning: "the transcription failed (see failed, below)" },
  { status: "not_applicable", label: "no media", meaning: "nothing to transcribe" }
]

const section = (
  title: string,
  counts: Counts,
  meanings: ReadonlyArray<Meaning>,
  statusOf: (c: Count) => string
): Array<string> => {
  const out = [title]
  for (const { status, label, meaning } of meanings) {
    const n = sum(counts, (c) => statusOf(c) === status)
    if (n > 0)
      out.push(
        row(
          n,
          label,
          meaning,
          perSource(counts, (c) => statusOf(c) === status)
        )
      )
  }
  if (out.length === 1) out.push("  nothing yet")
  return out
}

const notDone = (report: StatusReport.StatusReport, stage: StatusReport.NotDone["stage"]) =>
  report.notDone
    .filter((n) => n.stage === stage)
    .map(
      (n) =>
        `           ${n.sourceType} ${n.count}: ${n.status === "gone" ? "gone: " : ""}${n.reason ?? "no reason recorded"}`
    )

/** The layers in words: bronze (fetched or not, and why), transcription, silver (transformed or not, and why), lag. */
export const layers = (report: StatusReport.StatusReport): Array<string> => {
  const { counts, lag } = report
  const out: Array<string> = []
  out.push(
    report.items.total === 0
      ? "silver holds no items yet"
      : `silver holds ${report.items.total} item(s): ${perSource(counts)}`
  )
  out.push("")
  out.push(...section("bronze: what was fetched (fetch_status)", counts, FETCH, (c) => c.fetchStatus))
  out.push(...notDone(report, "fetch"))
  out.push("")
  out.push(
    ...section("transcription (transcription_status)", counts, TRANSCRIPTION, (c) => c.transcriptionStatus),
    ...notDone(report, "transcription")
  )
  out.push("")
  out.push("silver: what was transformed into rows (transform_status)")
  const transformed = sum(counts, (c) => c.transformStatus === "transformed")
  const idle = (c: Count) => c.transformStatus === "pending" && c.fetchStatus !== "fetched"
  const queued = (c: Count) => c.transformStatus === "pending" && c.fetchStatus === "fetched"
  const failed = (c: Count) => c.transformStatus === "failed"
  const transformedRow = (c: Count) => c.transformStatus === "transformed"
  if (transformed > 0)
    out.push(
      row(transformed, "transformed", "rows derived from bronze's newest artifacts", perSource(counts, transformedRow))
    )
  if (sum(counts, queued) > 0)
    out.push(
      row(
        sum(counts, queued),
        "waiting",
        "fetched, the bronze -> silver sensor transforms it next",
        perSource(counts, queued)
      )
    )
  if (sum(counts, idle) > 0)
    out.push(
      row(
        sum(counts, idle),
        "no content",
        "known by id only, nothing to transform until it is fetched",
        perSource(counts, idle)
      )
    )
  if (sum(counts, failed) > 0)
    out.push(
      row(sum(counts, failed), "failed", "could not be transformed (see failed, below)", perSource(counts, failed))
    )
  if (report.items.total === 0) out.push("  nothing yet")
  out.push(
    lag === null
      ? "  lag unknown"
      : lag.artifacts === 0
        ? "  no bronze artifact waiting to be handed to silver"
        : `  ${lag.atLeast ? "at least " : ""}${lag.artifacts} bronze artifact(s) not yet handed to silver (the transform daemon picks them up at its next ticks)`
  )
  return out
}

/** How to retry what failed, per step: the command, or what does it on its own. */
export const retryHints = (report: StatusReport.StatusReport): Array<string> => {
  const { fetch, transcription, transform } = report.failures
  const failedRuns = report.sensors.reduce((n, s) => n + (s.runs["failed"] ?? 0), 0)
  const out: Array<string> = []
  if (transform > 0)
    out.push(
      "  to retry the transform of the failed items: medallion retry --items (after fixing the cause, e.g. a new version)"
    )
  if (failedRuns > 0) out.push("  to run the failed runs again: medallion retry (one: medallion retry --run KEY)")
  if (fetch > 0)
    out.push(
      "  failed fetches are fetched again by the fetch daemon at a later run of their source (after retryFailedAfter, 1 hour), while the source lists them"
    )
  if (transcription > 0)
    out.push("  failed transcriptions: the reason says what to fix (the endpoint, transcription.apiKey, a spend limit)")
  return out
}
