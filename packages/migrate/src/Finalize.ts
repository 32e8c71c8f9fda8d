/**
 * `finalize`: the SQL that removes the raw payloads from the legacy database once they live in bronze.
 * Only after a clean verify of the last, complete run of this mapping (verify newer than the run); never
 * while rows are not migrated (their raw values would exist nowhere else) unless the operator accepts
 * it. `statements` only says what would run; `apply` runs it, in one transaction, on a writable session
 * opened for this alone. Nothing calls it on its own.
 */
import { Effect, Option, Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { LegacyDatabase } from "./LegacyDatabase.ts"
import * as LegacyRun from "./LegacyRun.ts"
import * as Mapping from "./Mapping.ts"
import * as RunState from "./RunState.ts"
import { quoteIdent } from "./TableReader.ts"

export interface FinalizePlan {
  readonly statements: ReadonlyArray<string>
  /** Why the statements may not run yet. */
  readonly blockers: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

export class FinalizeRefused extends Schema.TaggedError<FinalizeRefused>()("FinalizeRefused", {
  blockers: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `finalize refused:\n${this.blockers.map((b) => `  - ${b}`).join("\n")}`
  }
}

/** The statements, and whatever stands in their way. */
export const plan = Effect.fn("Finalize.plan")(function* (
  options: {
    readonly mapping: Mapping.Mapping
    readonly stateDir: string
    /** Drop the raw values of rows that were not migrated too (they are listed in the run's report). */
    readonly allowUnmigrated?: boolean | undefined
  },
  file = "(mapping)"
): Effect.fn.Return<FinalizePlan, SqlError | Mapping.MappingError | RunState.RunStateError, LegacyDatabase> {
  const mapping = options.mapping
  yield* LegacyRun.checkedCatalog(mapping, file)
  const blockers: Array<string> = []
  const warnings: Array<string> = []
  const checkpoint = yield* RunState.readCheckpoint(options.stateDir)
  const verified = yield* RunState.readVerify(options.stateDir)
  if (Option.isNone(checkpoint) || checkpoint.value.mapping !== mapping.digest) {
    blockers.push("no run of this mapping is recorded in the data dir")
  } else if (!checkpoint.value.complete) {
    blockers.push("the last run did not finish")
  }
  if (Option.isNone(verified) || verified.value.mapping !== mapping.digest) {
    blockers.push("no verify of this mapping is recorded: run `migrate-legacy verify` first")
  } else if (!verified.value.clean) {
    blockers.push(`the last verify found ${verified.value.unexplained} unexplained difference(s)`)
  } else if (
    Option.isSome(checkpoint) &&
    (verified.value.pass !== checkpoint.value.pass || verified.value.at < checkpoint.value.updatedAt)
  ) {
    blockers.push("the last verify is older than the last run: verify again")
  }
  const report = yield* RunState.readReport(options.stateDir)
  const unmigrated = report.filter((l) => l.kind === "skipped" || l.kind === "unmatched")
  if (unmigrated.length > 0) {
    const listed = unmigrated
      .slice(0, 10)
      .map(
        (l) =>
          `${l.table} ${Object.entries(l.key)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")} (${l.problem})`
      )
      .join("; ")
    const text = `${unmigrated.length} row(s) were not migrated and would lose their raw values: ${listed}${unmigrated.length > 10 ? "; ..." : ""}`
    if (options.allowUnmigrated === true) warnings.push(text)
    else blockers.push(`${text} (fix them and run again, or accept the loss with --allow-unmigrated)`)
  }
  const statements = mapping.tables.flatMap((table) => {
    const name = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
    if (table.spec.finalize === "drop-table") return [`DROP TABLE ${name};`]
    const columns = Mapping.rawColumns(table)
    const kept = table.artifacts.filter((a) => !columns.includes(a.column)).map((a) => a.column)
    if (kept.length > 0) {
      warnings.push(`${table.qualified}: ${kept.join(", ")} kept (a rule leaves some values in the table)`)
    }
    return columns.length === 0
      ? []
      : [`ALTER TABLE ${name} ${columns.map((c) => `DROP COLUMN ${quoteIdent(c)}`).join(", ")};`]
  })
  warnings.push(
    "PostgreSQL returns the space of dropped columns only as rows are rewritten (VACUUM FULL rewrites the table at once)"
  )
  return { statements, blockers, warnings }
})

/** Runs the statements in one transaction. The session must be writable (`LegacyDatabase.layerWritable`). */
export const apply = Effect.fn("Finalize.apply")(function* (finalize: FinalizePlan) {
  if (finalize.blockers.length > 0) return yield* new FinalizeRefused({ blockers: finalize.blockers })
  const { sql } = yield* LegacyDatabase
  yield* sql.withTransaction(
    Effect.forEach(finalize.statements, (statement) => sql.unsafe(statement), { discard: true })
  )
  return finalize.statements.length
})
