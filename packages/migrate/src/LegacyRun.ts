/**
 * `run` and `plan`: every mapped table, row by row in key order, into bronze (or, for a plan, only
 * counted). It is fetch-side work: it needs `BronzeWriter` and `BronzeReader` and no silver service;
 * silver is rebuilt afterwards by the ordinary transform daemon from what it wrote.
 *
 * Rows are read through a server-side cursor in one read-only snapshot per table, handled
 * `concurrency` at a time (in key order), and a checkpoint is saved every `checkpointRows` rows or
 * `checkpointInterval`: after a crash the pass resumes after the last checkpoint; the rows since are
 * written again and bronze finds their artifacts already stored. A row that cannot be migrated (no id,
 * a duplicate id, ...) is listed in the report with its reason and the rest goes on; so is a row
 * migrated with a value the transform will refuse.
 */
import type { BronzeIoError, BronzeReader, BronzeWriter, InvalidKey } from "@medallion/bronze"
import { Clock, Duration, Effect, Stream } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import * as BronzeImport from "./BronzeImport.ts"
import * as LegacyCatalog from "./LegacyCatalog.ts"
import { LegacyDatabase, snapshot } from "./LegacyDatabase.ts"
import { describeKey, keyObject, type LegacyRow } from "./LegacyRow.ts"
import * as Mapping from "./Mapping.ts"
import * as RowPlan from "./RowPlan.ts"
import * as RunState from "./RunState.ts"
import * as TableReader from "./TableReader.ts"

export const DEFAULT_CONCURRENCY = 16
export const DEFAULT_CHECKPOINT_ROWS = 1000
export const DEFAULT_CHECKPOINT_INTERVAL = Duration.seconds(2)

export interface Progress {
  readonly table: string
  readonly tableIndex: number
  readonly tables: number
  /** Rows of this table handled so far in this pass (a resumed pass counts from its checkpoint). */
  readonly done: number
  readonly total: number
  readonly skipped: number
  readonly flagged: number
  /** Bytes of raw values read in this process. */
  readonly bytes: number
  /** Since this table's pass began. */
  readonly elapsedMs: number
}

export interface RunOptions {
  readonly mapping: Mapping.Mapping
  /** The folder of this mapping's state (checkpoint, report): `RunState.dirFor(dataDir, digest)`. */
  readonly stateDir: string
  /** Count, list and predict; write nothing (`plan`: `run` then needs no bronze either). */
  readonly dryRun?: boolean | undefined
  readonly concurrency?: number | undefined
  /** Raw bytes fetched per batch of rows (default 4 MiB). */
  readonly batchBytes?: number | undefined
  /** Spares a loaded legacy server: at most this many rows per second. */
  readonly maxRowsPerSecond?: number | undefined
  readonly checkpointRows?: number | undefined
  readonly checkpointInterval?: Duration.Input | undefined
  /** Start a new pass even when the last one was interrupted. */
  readonly restart?: boolean | undefined
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
}

export interface Count {
  count: number
  bytes: number
}

/** One table's figures: what was (or would be) written, what was not and why, what silver will hold. */
export interface TableSummary {
  readonly table: string
  readonly source: string
  rows: number
  /** Per artifact (`article.html`, `legacy-row.json`): how many rows have one, and their bytes. */
  readonly artifacts: Record<string, Count>
  readonly skipped: Record<string, number>
  flagged: number
  /** What silver holds after the transform: items per status, transcripts, comment trees, enrichments. */
  readonly silver: {
    items: number
    readonly fetchStatus: Record<string, number>
    readonly transcriptionStatus: Record<string, number>
  }
  /** The legacy statuses, read through the mapping. */
  readonly legacyFetchStatus: Record<string, number>
}

export interface RunReport {
  readonly dryRun: boolean
  readonly resumed: boolean
  readonly pass: number
  readonly tables: ReadonlyArray<TableSummary>
  readonly totals: RunState.Totals
  /** The first bad rows (all of them are in the report file; a plan keeps the first 1,000). */
  readonly badRows: ReadonlyArray<RunState.ReportLine>
  readonly badRowCount: number
  readonly stateDir: string
  readonly elapsedMs: number
}

const MAX_LISTED = 1000

interface RowResult {
  readonly key: ReadonlyArray<string>
  readonly bytes: number
  readonly lines: ReadonlyArray<RunState.ReportLine>
  readonly planned: RowPlan.RowPlan
  readonly imported: BronzeImport.ImportResult | undefined
}

const increment = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by
}

const emptySummary = (table: Mapping.ResolvedTable): TableSummary => ({
  table: table.qualified,
  source: table.spec.source,
  rows: 0,
  artifacts: {},
  skipped: {},
  flagged: 0,
  silver: { items: 0, fetchStatus: {}, transcriptionStatus: {} },
  legacyFetchStatus: {}
})

/** The rows of a table not to migrate, decided up front: duplicate ids, ids an earlier table already has. */
export const exclusionsFor = (
  table: Mapping.ResolvedTable,
  catalog: ReadonlyArray<LegacyCatalog.Table>,
  mapping: Mapping.Mapping
): Effect.Effect<RowPlan.Exclusions, SqlError | Mapping.MappingError, LegacyDatabase> =>
  Effect.gen(function* () {
    const entry = catalogOf(catalog, table)
    const byKey = new Map<string, { kind: RowPlan.SkipKind; reason: string }>()
    for (const d of yield* TableReader.duplicates(table, entry)) {
      byKey.set(describeKey(table.key, d.key), {
        kind: "duplicate-id",
        reason: `${table.spec.externalId} ${d.externalId} is also the id of the row ${describeKey(table.key, d.keptKey ?? [])}, which is the one migrated`
      })
    }
    for (const earlier of mapping.tables.slice(0, table.index)) {
      if (earlier.spec.source !== table.spec.source) continue
      for (const c of yield* TableReader.collisions(table, entry, earlier, catalogOf(catalog, earlier))) {
        const key = describeKey(table.key, c.key)
        if (!byKey.has(key)) {
          byKey.set(key, {
            kind: "collision",
            reason: `item ${table.spec.source}/${c.externalId} also comes from ${earlier.qualified}, which is migrated first`
          })
        }
      }
    }
    if (byKey.size > TableReader.MAX_EXCLUDED_ROWS) {
      return yield* new Mapping.MappingError({
        file: "(mapping)",
        problems: [
          {
            path: `tables.${table.index}.externalId`,
            message: `more than ${TableReader.MAX_EXCLUDED_ROWS} rows of ${table.qualified} share an id with another row: is ${table.spec.externalId} the item's id?`
          }
        ]
      })
    }
    return { byKey }
  })

export const catalogOf = (
  catalog: ReadonlyArray<LegacyCatalog.Table>,
  table: Mapping.ResolvedTable
): LegacyCatalog.Table => catalog.find((t) => t.schema === table.schema && t.name === table.name)!

/** Reads the catalog and holds the mapping against it: every problem at once. */
export const checkedCatalog = (
  mapping: Mapping.Mapping,
  file: string
): Effect.Effect<ReadonlyArray<LegacyCatalog.Table>, SqlError | Mapping.MappingError, LegacyDatabase> =>
  Effect.gen(function* () {
    const catalog = yield* LegacyCatalog.tables(mapping.tables.map((t) => ({ schema: t.schema, name: t.name })))
    const problems = LegacyCatalog.check(mapping, catalog)
    if (problems.length > 0) return yield* new Mapping.MappingError({ file, problems })
    return catalog
  })

/** Reasons quote the values they are about: one line each in the report. */
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

const reportLines = (
  table: Mapping.ResolvedTable,
  row: LegacyRow,
  planned: RowPlan.RowPlan
): Array<RunState.ReportLine> => {
  const base = {
    table: table.qualified,
    key: keyObject(table.key, row.key),
    externalId: row.externalId,
    source: table.spec.source
  }
  if (planned._tag === "Skipped")
    return [{ ...base, kind: "skipped", problem: planned.kind, reason: oneLine(planned.reason) }]
  return planned.flags.map((f) => ({
    ...base,
    kind: planned.unmatched.includes(f.column) ? ("unmatched" as const) : ("flagged" as const),
    problem: f.column,
    reason: oneLine(f.reason)
  }))
}

const tally = (summary: TableSummary, result: RowResult) => {
  summary.rows++
  const p = result.planned
  if (p._tag === "Skipped") {
    increment(summary.skipped, p.kind)
    return
  }
  if (p.flags.length > 0) summary.flagged++
  for (const a of [...p.artifacts, p.legacyRow]) {
    const name = `${a.fixedType !== undefined || a.alwaysStamped ? `${a.name}@<stamp>` : a.name}.${a.ext}`
    const c = (summary.artifacts[name] ??= { count: 0, bytes: 0 })
    c.count++
    c.bytes += a.size
  }
  summary.silver.items++
  increment(summary.silver.fetchStatus, p.expected.fetchStatus)
  increment(summary.silver.transcriptionStatus, p.expected.transcriptionStatus)
  increment(summary.legacyFetchStatus, p.expected.legacyFetchStatus)
}

/** Writes a planned row into bronze; absent for a plan. */
type Importer<E, R> = (
  planned: RowPlan.Planned
) => Effect.Effect<BronzeImport.ImportResult | BronzeImport.VersionTaken | InvalidKey, E, R>

/** One pass over every table: with an importer it migrates, without one it plans. */
const pass = <E, R>(
  options: RunOptions,
  file: string,
  importer: Importer<E, R> | undefined
): Effect.Effect<RunReport, E | SqlError | Mapping.MappingError | RunState.RunStateError, R | LegacyDatabase> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const mapping = options.mapping
    const dryRun = importer === undefined
    const catalog = yield* checkedCatalog(mapping, file)
    const state = dryRun
      ? { dir: options.stateDir, resumed: false, checkpoint: undefined }
      : yield* RunState.open(options.stateDir, mapping.digest, started, options.restart ?? false)
    let checkpoint = state.checkpoint
    const totals = { ...(checkpoint?.totals ?? RunState.emptyTotals) }
    const summaries = mapping.tables.map(emptySummary)
    const listed: Array<RunState.ReportLine> = []
    let badRowCount = 0
    let bytesRead = 0
    const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)

    const migrateRow = (table: Mapping.ResolvedTable, exclusions: RowPlan.Exclusions) => (row: LegacyRow) =>
      Effect.gen(function* () {
        let planned = yield* RowPlan.plan(table, row, exclusions)
        let imported: BronzeImport.ImportResult | undefined
        if (importer !== undefined && planned._tag === "Planned") {
          const outcome = yield* importer(planned)
          if ("_tag" in outcome) {
            planned = {
              _tag: "Skipped",
              kind: "write-failed",
              reason:
                outcome._tag === "InvalidKey"
                  ? `bronze refuses the key: ${outcome.message}`
                  : `bronze already holds other bytes under ${outcome.key.artifactType}.${outcome.key.ext} and under the import's own stamp`,
              item: planned.item
            }
          } else imported = outcome
        }
        const lines = reportLines(table, row, planned)
        for (const line of lines) {
          yield* Effect.logWarning(
            `${line.kind} row ${describeKey(table.key, row.key)} of ${table.qualified}: ${line.reason}`
          ).pipe(Effect.annotateLogs({ table: table.qualified, source: table.spec.source, problem: line.problem }))
        }
        // Only counts travel on to the checkpoint: the values' bytes are released with the row.
        return {
          key: row.key,
          bytes: row.bytes,
          lines,
          planned: RowPlan.withoutBytes(planned),
          imported
        } satisfies RowResult
      })

    for (const table of mapping.tables) {
      if (checkpoint !== undefined && table.index < checkpoint.table) continue
      const after =
        checkpoint !== undefined && table.index === checkpoint.table ? (checkpoint.after ?? undefined) : undefined
      const entry = catalogOf(catalog, table)
      const summary = summaries[table.index]!
      yield* snapshot(
        Effect.gen(function* () {
          const exclusions = yield* exclusionsFor(table, catalog, mapping)
          const total = yield* TableReader.count(table, entry, after)
          const tableStarted = yield* Clock.currentTimeMillis
          let done = 0
          let skipped = 0
          let flagged = 0
          const report = (now: number) =>
            options.onProgress?.({
              table: table.qualified,
              tableIndex: table.index,
              tables: mapping.tables.length,
              done,
              total,
              skipped,
              flagged,
              bytes: bytesRead,
              elapsedMs: now - tableStarted
            }) ?? Effect.void
          yield* report(tableStarted)
          const source = TableReader.rows(table, entry, { after, batchBytes: options.batchBytes })
          const throttled =
            options.maxRowsPerSecond === undefined
              ? source
              : source.pipe(
                  Stream.rechunk(1),
                  Stream.throttle({
                    cost: (rows) => rows.length,
                    units: options.maxRowsPerSecond,
                    duration: "1 second"
                  })
                )
          yield* throttled.pipe(
            Stream.mapEffect(migrateRow(table, exclusions), { concurrency }),
            Stream.groupedWithin(
              options.checkpointRows ?? DEFAULT_CHECKPOINT_ROWS,
              options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL
            ),
            Stream.runForEach((group) =>
              Effect.gen(function* () {
                const lines: Array<RunState.ReportLine> = []
                for (const result of group) {
                  tally(summary, result)
                  done++
                  bytesRead += result.bytes
                  totals.rows++
                  if (result.planned._tag === "Skipped") {
                    skipped++
                    totals.skipped++
                  } else {
                    totals.migrated++
                    if (result.planned.flags.length > 0) {
                      flagged++
                      totals.flagged++
                    }
                  }
                  if (result.imported !== undefined) {
                    totals.written += result.imported.written
                    totals.writtenBytes += result.imported.writtenBytes
                    totals.unchanged += result.imported.unchanged
                  }
                  lines.push(...result.lines)
                }
                badRowCount += lines.length
                for (const line of lines) if (listed.length < MAX_LISTED) listed.push(line)
                const now = yield* Clock.currentTimeMillis
                if (checkpoint !== undefined) {
                  const reportBytes = yield* RunState.appendReport(state.dir, lines)
                  checkpoint = {
                    ...checkpoint,
                    table: table.index,
                    after: group[group.length - 1]!.key,
                    reportBytes,
                    totals: { ...totals },
                    updatedAt: now
                  }
                  yield* RunState.save(state.dir, checkpoint)
                }
                yield* report(now)
              })
            )
          )
        })
      )
      if (checkpoint !== undefined) {
        checkpoint = { ...checkpoint, table: table.index + 1, after: null, updatedAt: yield* Clock.currentTimeMillis }
        yield* RunState.save(state.dir, checkpoint)
      }
    }
    if (checkpoint !== undefined) {
      checkpoint = { ...checkpoint, complete: true, totals: { ...totals }, updatedAt: yield* Clock.currentTimeMillis }
      yield* RunState.save(state.dir, checkpoint)
    }
    const finished = yield* Clock.currentTimeMillis
    return {
      dryRun,
      resumed: state.resumed,
      pass: checkpoint?.pass ?? 0,
      tables: summaries,
      totals,
      badRows: listed,
      badRowCount: dryRun ? badRowCount : (yield* RunState.readReport(state.dir)).length,
      stateDir: state.dir,
      elapsedMs: finished - started
    } satisfies RunReport
  })

/**
 * `plan` (`--dry-run`): counts per artifact, bad rows, what silver will hold. It has no bronze service at
 * all and writes no state: nothing is written anywhere.
 */
export const plan = (
  options: Omit<RunOptions, "dryRun" | "restart">,
  file = "(mapping)"
): Effect.Effect<RunReport, SqlError | Mapping.MappingError | RunState.RunStateError, LegacyDatabase> =>
  pass<never, never>(options, file, undefined).pipe(Effect.withSpan("LegacyRun.plan"))

/** Migrates every table of the mapping into bronze (or plans, with `dryRun`). */
export const run = (
  options: RunOptions,
  file = "(mapping)"
): Effect.Effect<
  RunReport,
  SqlError | Mapping.MappingError | RunState.RunStateError | BronzeIoError,
  LegacyDatabase | BronzeReader | BronzeWriter
> =>
  options.dryRun === true
    ? plan(options, file)
    : pass(options, file, (planned) =>
        BronzeImport.importRow(planned).pipe(
          Effect.catchTags({
            VersionTaken: (taken) => Effect.succeed(taken),
            // An id bronze cannot store (e.g. with U+0000) is a bad row, reported with the rule; the rest goes on.
            InvalidKey: (refused) => Effect.succeed(refused)
          })
        )
      ).pipe(Effect.withSpan("LegacyRun.run"))
