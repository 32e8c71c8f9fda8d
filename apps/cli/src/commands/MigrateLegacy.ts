/**
 * `medallion migrate-legacy`: moving a combined fetch+transform pipeline's PostgreSQL into bronze.
 * `inspect` proposes a mapping, `plan` (or `run --dry-run`) counts what would be written, `run` writes
 * bronze (never silver, never the legacy database), the transform daemon then rebuilds silver as usual,
 * `verify` checks every row, `finalize` prints (and with `--apply` runs) the SQL that drops the raw
 * columns. The legacy database is reached with `--from` (or `MEDALLION_LEGACY_DATABASE_URL`).
 */
import { Finalize, Inspect, LegacyDatabase, LegacyRun, Mapping, RunState } from "@medallion/migrate"
import { Verify } from "@medallion/migrate/verify"
import { SingleBar } from "cli-progress"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { Prompt } from "effect/cli"
import * as App from "../App.ts"

/** Exit codes: 1 for differences and refusals, 2 for a mapping that does not fit. */
const exit = (code: number) => Effect.sync(() => (process.exitCode = code))

const loadMapping = (file: string) =>
  Effect.try({
    try: () => Fs.readFileSync(file, "utf8"),
    catch: (cause) =>
      new Mapping.MappingError({
        file: Path.resolve(file),
        problems: [{ path: "(file)", message: `cannot read ${Path.resolve(file)}: ${String(cause)}` }]
      })
  }).pipe(Effect.flatMap((text) => Mapping.parse(Path.resolve(file), text)))

/** A mapping that does not fit (the file or the database) is the operator's to fix: every problem, exit 2. */
const reportMappingErrors = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.catchIf(
      (error): error is Extract<E, Mapping.MappingError> => error instanceof Mapping.MappingError,
      (error) => Console.error(`medallion: ${error.message}`).pipe(Effect.andThen(exit(2)))
    )
  )

/** The database a URL names: what `finalize --apply` asks the operator to type. */
const databaseName = (url: Redacted.Redacted<string>): string => {
  try {
    return decodeURIComponent(new URL(Redacted.value(url)).pathname.slice(1))
  } catch {
    return ""
  }
}

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : bytes < 1024 * 1024 * 1024
        ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
        : `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GiB`
const pad = (text: string | number, width: number) => String(text).padEnd(width)

/** A bar per table with rate and ETA on a terminal; a line per tenth of a table otherwise. */
const progressReporter = (what: string) => {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${what} {table} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | skipped {skipped} | flagged {flagged}`,
      stream: process.stderr,
      hideCursor: true
    })
    let table: string | undefined
    return {
      report: (p: LegacyRun.Progress) =>
        Effect.sync(() => {
          if (table !== p.table) {
            if (table !== undefined) bar.stop()
            bar.start(p.total, 0, { table: p.table, rate: "0", skipped: 0, flagged: 0 })
            table = p.table
          }
          const rate = p.elapsedMs > 0 ? ((p.done / p.elapsedMs) * 1000).toFixed(1) : "0"
          bar.update(p.done, { table: p.table, rate, skipped: p.skipped, flagged: p.flagged })
        }),
      stop: Effect.sync(() => table !== undefined && bar.stop())
    }
  }
  const lastTenth = new Map<string, number>()
  return {
    report: (p: LegacyRun.Progress) => {
      const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10)
      if (lastTenth.get(p.table) === tenth) return Effect.void
      lastTenth.set(p.table, tenth)
      const rate = p.elapsedMs > 0 ? (p.done / p.elapsedMs) * 1000 : 0
      const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : undefined
      return Console.error(
        `${what} ${p.table}: ${p.done}/${p.total} rows, ${rate.toFixed(1)} rows/s, ${p.skipped} skipped, ${p.flagged} flagged${eta === undefined ? "" : `, ETA ${eta} s`}`
      )
    },
    stop: Effect.void
  }
}

const renderRun = (report: LegacyRun.RunReport): Array<string> => {
  const out: Array<string> = []
  for (const t of report.tables) {
    out.push(`${t.table} (${t.source}): ${t.rows} row(s)`)
    for (const [name, c] of Object.entries(t.artifacts).sort()) {
      out.push(`  ${pad(name, 34)}${pad(c.count, 8)}${size(c.bytes)}`)
    }
    const skipped = Object.entries(t.skipped).map(([k, v]) => `${k} ${v}`)
    out.push(
      `  not migrated: ${skipped.join(", ") || "none"}; migrated with a value the transform will refuse: ${t.flagged}`
    )
    const statuses = (r: Record<string, number>) =>
      Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")
    out.push(
      `  silver will hold ${t.silver.items} item(s): fetch_status ${statuses(t.silver.fetchStatus) || "-"}; transcription_status ${statuses(t.silver.transcriptionStatus) || "-"}`
    )
  }
  const shown = report.badRows.slice(0, 20)
  if (report.badRowCount > 0) {
    out.push(`bad rows (${report.badRowCount}):`)
    for (const line of shown) {
      out.push(
        `  ${line.kind} ${line.table} ${Object.entries(line.key)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")}: ${line.reason}`
      )
    }
    if (report.badRowCount > shown.length) {
      out.push(`  ... all of them in ${Path.join(report.stateDir, RunState.REPORT_FILE)}`)
    }
  }
  return out
}

/** `medallion migrate-legacy inspect`. */
export const inspect = Effect.fn(function* ({
  from,
  out,
  sample,
  schema
}: {
  readonly from: Redacted.Redacted<string>
  readonly out: Option.Option<string>
  readonly sample: number
  readonly schema: Option.Option<string>
}) {
  const proposal = yield* App.run(() =>
    Inspect.inspect({ sample, schemas: Option.isSome(schema) ? [schema.value] : undefined }).pipe(
      Effect.provide(LegacyDatabase.layer({ url: from }))
    )
  )
  const text = JSON.stringify(proposal.document, null, 2) + "\n"
  for (const skipped of proposal.skipped) yield* Console.error(`left out ${skipped.table}: ${skipped.reason}`)
  if (Option.isSome(out)) {
    yield* Effect.sync(() => Fs.writeFileSync(out.value, text))
    yield* Console.error(
      `proposed a mapping of ${proposal.document.tables.length} table(s) in ${out.value} (the notes say why); review it, then: medallion migrate-legacy plan --mapping ${out.value}`
    )
  } else yield* Console.log(text.trimEnd())
})

/** `medallion migrate-legacy plan`, and `run --dry-run`. */
export const plan = (args: {
  readonly from: Redacted.Redacted<string>
  readonly mapping: string
  readonly maxRowBytes: number
}) =>
  reportMappingErrors(
    Effect.gen(function* () {
      const mapping = yield* loadMapping(args.mapping)
      const progress = progressReporter("plan")
      const report = yield* App.run((app) =>
        LegacyRun.plan(
          { mapping, stateDir: RunState.dirFor(app.dataDir, mapping.digest), onProgress: progress.report },
          Path.resolve(args.mapping)
        ).pipe(
          Effect.ensuring(progress.stop),
          Effect.provide(LegacyDatabase.layer({ url: args.from, maxRowBytes: args.maxRowBytes }))
        )
      )
      yield* Console.log([`plan (nothing written):`, ...renderRun(report)].join("\n"))
    })
  )

/** `medallion migrate-legacy run`. */
export const run = Effect.fn(function* (args: {
  readonly from: Redacted.Redacted<string>
  readonly mapping: string
  readonly maxRowBytes: number
  readonly concurrency: number
  readonly maxRowsPerSecond: Option.Option<number>
  readonly dryRun: boolean
  readonly restart: boolean
}) {
  if (args.dryRun) return yield* plan(args)
  yield* reportMappingErrors(
    Effect.gen(function* () {
      const mapping = yield* loadMapping(args.mapping)
      const progress = progressReporter("run")
      const report = yield* App.run((app) =>
        LegacyRun.run(
          {
            mapping,
            stateDir: RunState.dirFor(app.dataDir, mapping.digest),
            concurrency: args.concurrency,
            maxRowsPerSecond: Option.getOrUndefined(args.maxRowsPerSecond),
            restart: args.restart,
            onProgress: progress.report
          },
          Path.resolve(args.mapping)
        ).pipe(
          Effect.ensuring(progress.stop),
          Effect.provide(
            Layer.mergeAll(LegacyDatabase.layer({ url: args.from, maxRowBytes: args.maxRowBytes }), App.bronze(app))
          )
        )
      )
      const t = report.totals
      yield* Console.log(
        [
          `run ${report.resumed ? "resumed, " : ""}pass ${report.pass}: ${t.rows} row(s) in ${(report.elapsedMs / 1000).toFixed(1)} s, ${t.migrated} in bronze (${t.written} artifact(s) written, ${size(t.writtenBytes)}; ${t.unchanged} already there), ${t.skipped} not migrated, ${t.flagged} flagged`,
          ...renderRun(report),
          "next: let the transform daemon catch up (medallion status: lag 0), then medallion migrate-legacy verify"
        ].join("\n")
      )
    })
  )
})

/** `medallion migrate-legacy verify`. */
export const verify = Effect.fn(function* (args: {
  readonly from: Redacted.Redacted<string>
  readonly mapping: string
  readonly maxRowBytes: number
  readonly concurrency: number
}) {
  yield* reportMappingErrors(
    Effect.gen(function* () {
      const mapping = yield* loadMapping(args.mapping)
      const report = yield* App.run((app) =>
        Verify.verify(
          { mapping, stateDir: RunState.dirFor(app.dataDir, mapping.digest), concurrency: args.concurrency },
          Path.resolve(args.mapping)
        ).pipe(
          Effect.provide(
            Layer.mergeAll(
              LegacyDatabase.layer({ url: args.from, maxRowBytes: args.maxRowBytes }),
              App.bronzeReader(app),
              App.database(app)
            )
          )
        )
      )
      const out: Array<string> = report.sources.map(
        (r) =>
          `${r.source}: ${r.legacyRows} legacy row(s), ${r.notMigrated} not migrated (in the run's report), ${r.inSilver} in silver`
      )
      out.push(
        `${pad("source", 8)}${pad("status (migrated rows)", 44)}${pad("legacy", 9)}${pad("silver", 9)}difference`
      )
      for (const c of report.counts) {
        out.push(
          `${pad(c.source, 8)}${pad(`${c.status}=${c.value}`, 44)}${pad(c.legacy, 9)}${pad(c.silver, 9)}${c.silver - c.legacy === 0 ? "" : c.silver - c.legacy}`
        )
      }
      const unexplained = report.differences.filter((d) => !d.explained)
      const explained = report.differences.filter((d) => d.explained)
      out.push(`differences: ${report.unexplained} unexplained, ${report.explained} explained`)
      for (const d of unexplained)
        out.push(`  UNEXPLAINED ${d.table} ${d.key}${d.item === undefined ? "" : ` (${d.item})`}: ${d.what}`)
      for (const d of explained)
        out.push(`  explained   ${d.table} ${d.key}${d.item === undefined ? "" : ` (${d.item})`}: ${d.what}`)
      out.push(
        report.clean
          ? `verify: clean (${report.rows} row(s) checked in ${(report.elapsedMs / 1000).toFixed(1)} s); finalize may run`
          : `verify: ${report.unexplained} unexplained difference(s) in ${report.rows} row(s)`
      )
      yield* Console.log(out.join("\n"))
      if (!report.clean) yield* exit(1)
    })
  )
})

/** `medallion migrate-legacy finalize`. */
export const finalize = Effect.fn(function* (args: {
  readonly from: Redacted.Redacted<string>
  readonly mapping: string
  readonly apply: boolean
  readonly confirm: Option.Option<string>
  readonly allowUnmigrated: boolean
}) {
  yield* reportMappingErrors(
    Effect.gen(function* () {
      const mapping = yield* loadMapping(args.mapping)
      const database = databaseName(args.from)
      yield* App.run((app) =>
        Effect.gen(function* () {
          const stateDir = RunState.dirFor(app.dataDir, mapping.digest)
          const finalizing = yield* Finalize.plan(
            { mapping, stateDir, allowUnmigrated: args.allowUnmigrated },
            Path.resolve(args.mapping)
          ).pipe(Effect.provide(LegacyDatabase.layer({ url: args.from })))
          const out = ["-- the SQL that removes the raw payloads from the legacy database:", ...finalizing.statements]
          for (const w of finalizing.warnings) out.push(`-- note: ${w}`)
          for (const b of finalizing.blockers) out.push(`-- NOT YET: ${b}`)
          yield* Console.log(out.join("\n"))
          if (finalizing.blockers.length > 0) return yield* exit(1)
          if (!args.apply)
            return yield* Console.error("nothing changed: run again with --apply to execute these statements")
          const typed = Option.isSome(args.confirm)
            ? args.confirm.value
            : yield* Prompt.run(
                Prompt.String({
                  message: `This drops the raw columns for good. Type the database name (${database}) to go on`
                })
              )
          if (typed !== database) {
            yield* Console.error(`nothing changed: "${typed}" is not ${database}`)
            return yield* exit(1)
          }
          const applied = yield* Finalize.apply(finalizing).pipe(
            Effect.provide(LegacyDatabase.layerWritable({ url: args.from }))
          )
          yield* Console.log(`applied ${applied} statement(s) in one transaction`)
        })
      )
    })
  )
})
