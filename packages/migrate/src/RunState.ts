/**
 * The state of a migration on the local disk (`<data dir>/migrate-legacy/<mapping digest>/`): the
 * checkpoint of the current pass, the report of its bad rows, and the outcome of the last verify. Bronze
 * holds the data; this only says how far a pass got, so a run killed at any point resumes after the
 * last checkpoint, and what it wrote since is found again by bronze's write-once rule.
 *
 * The checkpoint is replaced atomically (temp file, fsync, rename, fsync of the folder) and names the
 * length of the report it covers: a resumed pass cuts the report back to it, so no row is listed twice.
 */
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Option, Schema } from "effect"

export const CHECKPOINT_FILE = "checkpoint.json"
export const REPORT_FILE = "report.jsonl"
export const VERIFY_FILE = "verify.json"

export class RunStateError extends Schema.TaggedError<RunStateError>()("RunStateError", {
  path: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

const io = <A>(path: string, what: string, run: () => Promise<A>): Effect.Effect<A, RunStateError> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) =>
      new RunStateError({
        path,
        message: `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

export const Totals = Schema.Struct({
  rows: Schema.Number,
  /** Rows whose artifacts are in bronze (written now or before). */
  migrated: Schema.Number,
  /** Artifacts written by this pass, and their bytes. */
  written: Schema.Number,
  writtenBytes: Schema.Number,
  /** Artifacts bronze already held with the same bytes. */
  unchanged: Schema.Number,
  skipped: Schema.Number,
  flagged: Schema.Number
})
export type Totals = typeof Totals.Type

export const emptyTotals: Totals = {
  rows: 0,
  migrated: 0,
  written: 0,
  writtenBytes: 0,
  unchanged: 0,
  skipped: 0,
  flagged: 0
}

export const Checkpoint = Schema.Struct({
  version: Schema.Literal(1),
  /** The mapping's digest: a checkpoint of another mapping is never resumed. */
  mapping: Schema.String,
  pass: Schema.Int,
  startedAt: Schema.Number,
  complete: Schema.Boolean,
  /** The table in progress (index in the mapping), and the last key whose row and every row before it is in bronze. */
  table: Schema.Int,
  after: Schema.NullOr(Schema.Array(Schema.String)),
  /** The length of the report this checkpoint covers. */
  reportBytes: Schema.Number,
  totals: Totals,
  updatedAt: Schema.Number
})
export type Checkpoint = typeof Checkpoint.Type

/** A line of the report: a row not migrated (`skipped`) or migrated with a value the transform will refuse (`flagged`). */
export const ReportLine = Schema.Struct({
  table: Schema.String,
  key: Schema.Record(Schema.String, Schema.String),
  externalId: Schema.NullOr(Schema.String),
  source: Schema.String,
  kind: Schema.Literals(["skipped", "flagged", "unmatched"]),
  /** What kind of problem (`null-id`, `duplicate-id`, ...; for flags the column). */
  problem: Schema.String,
  reason: Schema.String
})
export type ReportLine = typeof ReportLine.Type

export const VerifyOutcome = Schema.Struct({
  mapping: Schema.String,
  pass: Schema.Int,
  at: Schema.Number,
  clean: Schema.Boolean,
  rows: Schema.Number,
  unexplained: Schema.Number,
  explained: Schema.Number
})
export type VerifyOutcome = typeof VerifyOutcome.Type

const decodeCheckpoint = Schema.decodeUnknownOption(Schema.fromJsonString(Checkpoint))
const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(ReportLine))
const decodeVerify = Schema.decodeUnknownOption(Schema.fromJsonString(VerifyOutcome))

const readText = (path: string): Effect.Effect<Option.Option<string>, RunStateError> =>
  io(path, "reading", () =>
    NodeFs.readFile(path, "utf8").then(Option.some, (cause: NodeJS.ErrnoException) =>
      cause.code === "ENOENT" ? Option.none() : Promise.reject(cause)
    )
  )

/** Replaces `path` with `text` atomically and durably. */
export const writeAtomically = (path: string, text: string): Effect.Effect<void, RunStateError> =>
  io(path, "writing", async () => {
    const dir = NodePath.dirname(path)
    await NodeFs.mkdir(dir, { recursive: true })
    const temp = `${path}.${process.pid}.tmp`
    const handle = await NodeFs.open(temp, "w")
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await NodeFs.rename(temp, path)
    const folder = await NodeFs.open(dir, "r")
    try {
      await folder.sync()
    } finally {
      await folder.close()
    }
  })

export interface RunState {
  readonly dir: string
  readonly checkpoint: Checkpoint
  /** True when this pass continues an interrupted one. */
  readonly resumed: boolean
}

/**
 * Opens the state for a run: the interrupted pass of the same mapping if there is one (its report cut
 * back to the checkpoint), else a new pass with an empty report.
 */
export const open = Effect.fn("RunState.open")(function* (dir: string, mapping: string, now: number, restart: boolean) {
  yield* io(dir, "creating the state folder", () => NodeFs.mkdir(dir, { recursive: true }))
  const previous = Option.flatMap(yield* readText(NodePath.join(dir, CHECKPOINT_FILE)), decodeCheckpoint)
  const reportPath = NodePath.join(dir, REPORT_FILE)
  if (Option.isSome(previous) && previous.value.mapping === mapping && !previous.value.complete && !restart) {
    const checkpoint = previous.value
    yield* io(reportPath, "cutting the report back to the checkpoint", async () => {
      const handle = await NodeFs.open(reportPath, "a+")
      try {
        await handle.truncate(checkpoint.reportBytes)
        await handle.sync()
      } finally {
        await handle.close()
      }
    })
    return { dir, checkpoint, resumed: true } satisfies RunState
  }
  const checkpoint: Checkpoint = {
    version: 1,
    mapping,
    pass: Option.isSome(previous) && previous.value.mapping === mapping ? previous.value.pass + 1 : 1,
    startedAt: now,
    complete: false,
    table: 0,
    after: null,
    reportBytes: 0,
    totals: emptyTotals,
    updatedAt: now
  }
  yield* io(reportPath, "starting the report", () => NodeFs.writeFile(reportPath, ""))
  yield* save(dir, checkpoint)
  return { dir, checkpoint, resumed: false } satisfies RunState
})

export const save = (dir: string, checkpoint: Checkpoint): Effect.Effect<void, RunStateError> =>
  writeAtomically(NodePath.join(dir, CHECKPOINT_FILE), JSON.stringify(checkpoint, null, 2) + "\n")

/** Appends report lines durably; returns the report's new length. */
export const appendReport = (dir: string, lines: ReadonlyArray<ReportLine>): Effect.Effect<number, RunStateError> => {
  const path = NodePath.join(dir, REPORT_FILE)
  return io(path, "appending to the report", async () => {
    const handle = await NodeFs.open(path, "a")
    try {
      if (lines.length > 0) {
        await handle.write(lines.map((l) => JSON.stringify(l) + "\n").join(""))
        await handle.sync()
      }
      return (await handle.stat()).size
    } finally {
      await handle.close()
    }
  })
}

/** The last checkpoint, if any. */
export const readCheckpoint = (dir: string): Effect.Effect<Option.Option<Checkpoint>, RunStateError> =>
  Effect.map(readText(NodePath.join(dir, CHECKPOINT_FILE)), Option.flatMap(decodeCheckpoint))

/** Every line of the report (lines that do not parse are left out: the file is the migration's own). */
export const readReport = (dir: string): Effect.Effect<ReadonlyArray<ReportLine>, RunStateError> =>
  Effect.map(readText(NodePath.join(dir, REPORT_FILE)), (text) =>
    Option.match(text, {
      onNone: () => [],
      onSome: (t) => t.split("\n").flatMap((line) => (line.length === 0 ? [] : Option.toArray(decodeLine(line))))
    })
  )

export const saveVerify = (dir: string, outcome: VerifyOutcome): Effect.Effect<void, RunStateError> =>
  writeAtomically(NodePath.join(dir, VERIFY_FILE), JSON.stringify(outcome, null, 2) + "\n")

export const readVerify = (dir: string): Effect.Effect<Option.Option<VerifyOutcome>, RunStateError> =>
  Effect.map(readText(NodePath.join(dir, VERIFY_FILE)), Option.flatMap(decodeVerify))

/** The folder of a mapping's state under a data dir. */
export const dirFor = (dataDir: string, mappingDigest: string): string =>
  NodePath.join(dataDir, "migrate-legacy", mappingDigest.slice(0, 16))
