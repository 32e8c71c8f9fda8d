/**
 * The mapping file: which legacy tables hold items, how a row names its item, which columns hold raw
 * payloads and what bronze artifact each becomes (with per-row rules), and which columns hold statuses
 * and the times of the row. JSON, validated with Schema; every problem is reported at once with its key
 * (`tables.0.artifacts.1.as`), the structural ones first, then those that need the whole document.
 */
import { SourceType } from "@medallion/bronze"
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import * as Targets from "./Targets.ts"

const Column = Schema.String.check(Schema.isNonEmpty()).annotate({ description: "a column name" })

/** `when` of a rule: what a value must look like for the rule to apply. */
export const RuleCondition = Schema.Literals(["whisper-json", "json", "html", "text"])
export type RuleCondition = typeof RuleCondition.Type

/** Where a value goes: an artifact name, the feed entry's own text, or nowhere (it stays in the legacy table). */
export const ENTRY_CONTENT = "entry.content"
export const SKIP = "skip"

export const Rule = Schema.Struct({
  /** Omitted: the rule applies to any value. */
  when: Schema.optionalKey(RuleCondition),
  as: Schema.String.check(Schema.isNonEmpty()),
  /** The extension, for media and for a source type of one's own. */
  ext: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z0-9]{1,12}$/)))
})
export type Rule = typeof Rule.Type

export const ArtifactMapping = Schema.Struct({
  column: Column,
  /** Shorthand for one rule that applies to any value. */
  as: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  ext: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z0-9]{1,12}$/))),
  /** Rules tried in order; the first whose `when` matches the value decides. */
  rules: Schema.optionalKey(Schema.Array(Rule)),
  /** A column with the Content-Type the document was served with (HTML: its charset; media: its type). */
  contentType: Schema.optionalKey(Column)
})
export type ArtifactMapping = typeof ArtifactMapping.Type

export const StatusMapping = Schema.Struct({
  column: Column,
  /** Legacy values meaning the step failed: carried into bronze as a failure record with the reason. */
  failed: Schema.Array(Schema.String),
  /** Legacy values meaning the step has not happened yet (counted as pending by plan and verify). */
  pending: Schema.optionalKey(Schema.Array(Schema.String)),
  /** The column holding the failure's reason. */
  reason: Schema.optionalKey(Column)
})
export type StatusMapping = typeof StatusMapping.Type

/**
 * A feed entry record (`entry.json`) from normalized columns, as the feed source writes one per entry.
 * With `feedUrl`, the item's id is the fetch side's `<feed url> <guid>` (`FeedEntryId`), so the feed
 * source's later fetches of the entry land in the same folder.
 */
export const EntryMapping = Schema.Struct({
  title: Schema.optionalKey(Column),
  link: Schema.optionalKey(Column),
  published: Schema.optionalKey(Column),
  author: Schema.optionalKey(Column),
  /** The entry's description (HTML, as feeds carry it). */
  summary: Schema.optionalKey(Column),
  language: Schema.optionalKey(Column),
  feedUrl: Schema.optionalKey(Column),
  enclosureUrl: Schema.optionalKey(Column),
  enclosureType: Schema.optionalKey(Column),
  enclosureLength: Schema.optionalKey(Column)
})
export type EntryMapping = typeof EntryMapping.Type

export const TableMapping = Schema.Struct({
  /** `name` or `schema.name` (default schema `public`). */
  table: Schema.String.check(Schema.isPattern(/^[^.\s]+(\.[^.\s]+)?$/, { expected: "a table name or schema.table" })),
  /** The bronze source type the rows become items of. */
  source: SourceType,
  /** Columns of a unique, NOT NULL key: the order rows are read in, and the checkpoint. */
  key: Schema.Union([Column, Schema.Array(Column).check(Schema.isMinLength(1))]),
  /** The column whose text is the item's external id. */
  externalId: Column,
  /** When the row's content was fetched (a timestamp column): recorded as the fetch time. */
  fetchedAt: Schema.optionalKey(Column),
  /** When the row last changed: recorded, and the version stamp of a changed value. */
  updatedAt: Schema.optionalKey(Column),
  /** The item's URL: recorded with documents and failures. */
  url: Schema.optionalKey(Column),
  fetchStatus: Schema.optionalKey(StatusMapping),
  transcriptionStatus: Schema.optionalKey(StatusMapping),
  artifacts: Schema.Array(ArtifactMapping).check(Schema.isMinLength(1)),
  /** Feed tables: the entry record from these columns. */
  entry: Schema.optionalKey(EntryMapping),
  /** Columns known to hold normalized fields: left in the legacy table, rebuilt in silver by the transform. */
  normalized: Schema.optionalKey(Schema.Array(Column)),
  /** What `finalize` removes: the raw columns (default) or the whole table. */
  finalize: Schema.optionalKey(Schema.Literals(["drop-columns", "drop-table"])),
  /** Free text (what `inspect` saw); ignored. */
  notes: Schema.optionalKey(Schema.Array(Schema.String))
})
export type TableMapping = typeof TableMapping.Type

export const MappingDocument = Schema.Struct({
  version: Schema.Literal(1),
  tables: Schema.Array(TableMapping).check(Schema.isMinLength(1))
})
export type MappingDocument = typeof MappingDocument.Type

/** A rule with its target resolved: an artifact (with its extension when fixed), the entry's text, or skip. */
export type Destination =
  | { readonly _tag: "Artifact"; readonly target: Targets.Target; readonly ext: string | undefined }
  | { readonly _tag: "EntryContent" }
  | { readonly _tag: "Skip" }

export interface ResolvedRule {
  readonly when: RuleCondition | undefined
  readonly destination: Destination
}

export interface ResolvedArtifact {
  readonly column: string
  readonly contentType: string | undefined
  readonly rules: ReadonlyArray<ResolvedRule>
}

/** A table of the mapping, ready to read: names split, rules resolved, key as a list. */
export interface ResolvedTable {
  readonly index: number
  readonly spec: TableMapping
  readonly schema: string
  readonly name: string
  /** `schema.name`, as reports and records name the table. */
  readonly qualified: string
  readonly key: ReadonlyArray<string>
  readonly artifacts: ReadonlyArray<ResolvedArtifact>
}

export interface Mapping {
  readonly document: MappingDocument
  readonly tables: ReadonlyArray<ResolvedTable>
  /** sha256 of the canonical document: names the run's state, so a changed mapping starts a new run. */
  readonly digest: string
}

export interface Problem {
  /** `tables.0.artifacts.1.as`. */
  readonly path: string
  readonly message: string
}

export class MappingError extends Schema.TaggedError<MappingError>()("MappingError", {
  file: Schema.String,
  problems: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {
  override get message(): string {
    return `invalid mapping in ${this.file}:\n${this.problems.map((p) => `${p.message}\n  at ${p.path}`).join("\n")}`
  }
}

/** The problems of a Schema decoding failure, one per issue, with dotted paths. */
const problemsOf = (message: string): Array<Problem> => {
  const out: Array<Problem> = []
  let pending: Array<string> = []
  for (const line of message.split("\n")) {
    const at = /^\s*at \[(.*)\]$/.exec(line)
    if (at === null) {
      pending.push(line.trim())
      continue
    }
    out.push({ path: at[1]!.replaceAll("][", ".").replaceAll('"', ""), message: pending.join(" ") })
    pending = []
  }
  if (pending.length > 0) out.push({ path: "(document)", message: pending.join(" ") })
  return out
}

const splitTable = (table: string): { readonly schema: string; readonly name: string } => {
  const dot = table.indexOf(".")
  return dot === -1 ? { schema: "public", name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) }
}

const resolveDestination = (
  source: string,
  as: string,
  ext: string | undefined,
  path: string,
  problems: Array<Problem>
): Destination | undefined => {
  if (as === SKIP) return { _tag: "Skip" }
  if (as === ENTRY_CONTENT) {
    if (source !== "feed") {
      problems.push({ path, message: `"${ENTRY_CONTENT}" is a feed entry's own text: only for source feed` })
      return undefined
    }
    return { _tag: "EntryContent" }
  }
  if (Targets.reserved.has(as)) {
    problems.push({ path, message: `"${as}" is written by the migration itself, not from a column` })
    return undefined
  }
  const targets = Targets.targetsOf(source)
  if (targets === undefined) {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(as)) {
      problems.push({ path, message: `"${as}" is not an artifact name (a lowercase slug)` })
      return undefined
    }
    if (ext === undefined) {
      problems.push({ path, message: `an artifact of a source type of one's own needs "ext"` })
      return undefined
    }
    return { _tag: "Artifact", target: Targets.custom(as, ext), ext }
  }
  const target = targets.find((t) => t.name === as)
  if (target === undefined) {
    problems.push({
      path,
      message: `the ${source} fetch side writes no "${as}" artifact; expected one of ${[...targets.map((t) => t.name), ...(source === "feed" ? [ENTRY_CONTENT] : []), SKIP].join(", ")}`
    })
    return undefined
  }
  if (target.ext !== undefined && ext !== undefined && ext !== target.ext) {
    problems.push({ path, message: `"${as}" is always .${target.ext}` })
    return undefined
  }
  return { _tag: "Artifact", target, ext: target.ext ?? ext }
}

/** The checks that need more than one key at once; every problem is collected. */
const resolve = (document: MappingDocument): { tables: Array<ResolvedTable>; problems: Array<Problem> } => {
  const problems: Array<Problem> = []
  const tables: Array<ResolvedTable> = []
  const seenTables = new Map<string, number>()
  document.tables.forEach((spec, index) => {
    const at = `tables.${index}`
    const { schema, name } = splitTable(spec.table)
    const qualified = `${schema}.${name}`
    const earlier = seenTables.get(qualified)
    if (earlier !== undefined)
      problems.push({ path: `${at}.table`, message: `${qualified} is mapped twice (tables.${earlier})` })
    seenTables.set(qualified, index)
    if (spec.source === "feed" && spec.entry === undefined) {
      problems.push({
        path: `${at}.entry`,
        message: "a feed table needs an entry record (title, link, published, enclosure columns)"
      })
    }
    if (spec.source !== "feed" && spec.entry !== undefined) {
      problems.push({ path: `${at}.entry`, message: "an entry record is for source feed only" })
    }
    const artifacts: Array<ResolvedArtifact> = []
    const destinations = new Map<string, string>()
    const columns = new Set<string>()
    spec.artifacts.forEach((artifact, i) => {
      const ap = `${at}.artifacts.${i}`
      if (columns.has(artifact.column))
        problems.push({ path: `${ap}.column`, message: `${artifact.column} is mapped twice` })
      columns.add(artifact.column)
      if ((artifact.as === undefined) === (artifact.rules === undefined)) {
        problems.push({ path: ap, message: 'either "as" (one destination) or "rules" (per-row rules), not both' })
        return
      }
      const given: ReadonlyArray<Rule> = artifact.rules ?? [
        { as: artifact.as!, ...(artifact.ext === undefined ? {} : { ext: artifact.ext }) }
      ]
      if (given.length === 0) problems.push({ path: `${ap}.rules`, message: "at least one rule" })
      const rules: Array<ResolvedRule> = []
      given.forEach((rule, r) => {
        const rp = artifact.rules === undefined ? `${ap}.as` : `${ap}.rules.${r}.as`
        const destination = resolveDestination(spec.source, rule.as, rule.ext ?? artifact.ext, rp, problems)
        if (destination === undefined) return
        if (destination._tag === "Artifact") {
          const other = destinations.get(destination.target.name)
          if (other !== undefined && other !== artifact.column) {
            problems.push({ path: rp, message: `"${destination.target.name}" already comes from column ${other}` })
          }
          destinations.set(destination.target.name, artifact.column)
        }
        rules.push({ when: rule.when, destination })
      })
      if (artifact.rules !== undefined && artifact.rules.slice(0, -1).some((rule) => rule.when === undefined)) {
        problems.push({
          path: `${ap}.rules`,
          message: 'only the last rule may omit "when": the rules after it never apply'
        })
      }
      artifacts.push({ column: artifact.column, contentType: artifact.contentType, rules })
    })
    tables.push({
      index,
      spec,
      schema,
      name,
      qualified,
      key: typeof spec.key === "string" ? [spec.key] : spec.key,
      artifacts
    })
  })
  return { tables, problems }
}

const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value !== null && typeof value === "object"
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .filter((k) => k !== "notes")
            .map((k) => [k, canonical((value as Record<string, unknown>)[k])])
        )
      : value

/** Decodes a parsed document; fails with every problem found, each with its key. */
export const decode = (file: string, document: unknown): Effect.Effect<Mapping, MappingError> =>
  Schema.decodeUnknownEffect(MappingDocument)(document, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError((error) => new MappingError({ file, problems: problemsOf(error.message) })),
    Effect.flatMap((decoded) => {
      const { tables, problems } = resolve(decoded)
      if (problems.length > 0) return Effect.fail(new MappingError({ file, problems }))
      const digest = createHash("sha256")
        .update(JSON.stringify(canonical(decoded)))
        .digest("hex")
      return Effect.succeed({ document: decoded, tables, digest })
    })
  )

/** Parses and decodes the text of a mapping file. */
export const parse = (file: string, text: string): Effect.Effect<Mapping, MappingError> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (cause) =>
      new MappingError({
        file,
        problems: [
          { path: "(document)", message: `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}` }
        ]
      })
  }).pipe(Effect.flatMap((document) => decode(file, document)))

/** Every column a table reads, with what it is for (for the catalog check). */
export const columnsOf = (
  table: ResolvedTable
): ReadonlyArray<{ readonly path: string; readonly column: string; readonly use: ColumnUse }> => {
  const at = `tables.${table.index}`
  const s = table.spec
  const out: Array<{ path: string; column: string; use: ColumnUse }> = []
  table.key.forEach((column, i) =>
    out.push({ path: typeof s.key === "string" ? `${at}.key` : `${at}.key.${i}`, column, use: "key" })
  )
  out.push({ path: `${at}.externalId`, column: s.externalId, use: "scalar" })
  if (s.fetchedAt !== undefined) out.push({ path: `${at}.fetchedAt`, column: s.fetchedAt, use: "time" })
  if (s.updatedAt !== undefined) out.push({ path: `${at}.updatedAt`, column: s.updatedAt, use: "time" })
  if (s.url !== undefined) out.push({ path: `${at}.url`, column: s.url, use: "scalar" })
  for (const [field, status] of [
    ["fetchStatus", s.fetchStatus],
    ["transcriptionStatus", s.transcriptionStatus]
  ] as const) {
    if (status === undefined) continue
    out.push({ path: `${at}.${field}.column`, column: status.column, use: "scalar" })
    if (status.reason !== undefined) out.push({ path: `${at}.${field}.reason`, column: status.reason, use: "scalar" })
  }
  table.artifacts.forEach((a, i) => {
    out.push({ path: `${at}.artifacts.${i}.column`, column: a.column, use: "raw" })
    if (a.contentType !== undefined)
      out.push({ path: `${at}.artifacts.${i}.contentType`, column: a.contentType, use: "scalar" })
  })
  for (const [field, column] of Object.entries(s.entry ?? {})) {
    out.push({ path: `${at}.entry.${field}`, column, use: field === "published" ? "time-or-text" : "scalar" })
  }
  ;(s.normalized ?? []).forEach((column, i) => out.push({ path: `${at}.normalized.${i}`, column, use: "any" }))
  return out
}

/**
 * What a column is read for: `key` (unique and NOT NULL together), `raw` (text, JSON, XML or bytea),
 * `time` (a timestamp or date), `time-or-text`, `scalar` (anything with a text form), `any`.
 */
export type ColumnUse = "key" | "raw" | "time" | "time-or-text" | "scalar" | "any"

/** The columns `finalize` may drop: those whose every rule sends the value to bronze. */
export const rawColumns = (table: ResolvedTable): ReadonlyArray<string> =>
  table.artifacts.filter((a) => a.rules.every((r) => r.destination._tag !== "Skip")).map((a) => a.column)
