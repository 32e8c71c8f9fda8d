/**
 * What one legacy row becomes in bronze, decided from the row alone (no I/O): its item, each raw value
 * as the artifact the fetch side writes for that source (after the column's per-row rules), the records
 * the fetch side writes beside them (response records, the feed entry, failure records for a legacy
 * `failed` status), and the provenance record of the row. `run` writes it, `plan` counts it, `verify`
 * computes it again and compares bytes. The same row always gives the same plan, byte for byte.
 */
import type { ItemKey } from "@medallion/bronze"
import { ChatCompletion, HnItem, ItemArtifacts, JsonArtifact, WhisperTranscript } from "@medallion/workers/records"
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { describeKey, isDigest, keyObject, type LegacyRow } from "./LegacyRow.ts"
import type * as Mapping from "./Mapping.ts"
import * as Sniff from "./Sniff.ts"
import * as Targets from "./Targets.ts"

/** silver keeps external ids up to 2,048 characters (bronze takes longer ones, silver would refuse the row). */
export const MAX_EXTERNAL_ID_LENGTH = 2048

export interface PlannedArtifact {
  /** Artifact name (no version stamp). */
  readonly name: string
  readonly ext: string
  /** The bytes to write; absent in a plan computed from digests (verify's), which only compares. */
  readonly bytes: Uint8Array | undefined
  readonly size: number
  readonly sha256: string
  /** The legacy column it holds, for raw values; `undefined` for records the migration composes. */
  readonly column: string | undefined
  /** The whole artifact type when it is fixed (failure records carry their stamp). */
  readonly fixedType?: string | undefined
  /** The first version is stamped too (`comments@<stamp>`), as the fetch side writes it. */
  readonly alwaysStamped: boolean
  /** A response record: written with its document's version stamp. */
  readonly documentOf?: string | undefined
}

/** A value the row holds that the transform will not accept: migrated as it is, and listed. */
export interface Flag {
  readonly column: string
  readonly reason: string
}

/** What silver should hold for the row once transformed (what `plan` counts and `verify` checks). */
export interface Expected {
  /** The row's status in the legacy table, read through the mapping. */
  readonly legacyFetchStatus: "fetched" | "failed" | "pending"
  readonly legacyTranscriptionStatus: "not_applicable" | "pending" | "transcribed" | "failed"
  /** Why silver will differ from the legacy statuses, when it will (the mapping's rules decide it). */
  readonly notes: ReadonlyArray<string>
  readonly fetchStatus: "fetched" | "failed" | "pending"
  readonly fetchReason: string | undefined
  readonly transcriptionStatus: "not_applicable" | "pending" | "transcribed" | "failed"
  readonly transcriptionReason: string | undefined
  /** Whisper JSON migrated as the transcript: its text and number of segments. */
  readonly transcript: { readonly text: string; readonly segments: number } | undefined
}

export type SkipKind = "null-id" | "invalid-id" | "duplicate-id" | "collision" | "too-large" | "write-failed"

export type RowPlan =
  | {
      readonly _tag: "Skipped"
      readonly kind: SkipKind
      readonly reason: string
      readonly item: ItemKey | undefined
    }
  | {
      readonly _tag: "Planned"
      readonly item: ItemKey
      /** Raw values and the records beside them, in write order. */
      readonly artifacts: ReadonlyArray<PlannedArtifact>
      /** The provenance record (`legacy-row.json`), written last. */
      readonly legacyRow: PlannedArtifact
      readonly flags: ReadonlyArray<Flag>
      /** Raw columns none of whose rules matched the value: not migrated, still only in the legacy table. */
      readonly unmatched: ReadonlyArray<string>
      /** Version stamp of a changed value: the row's update (else fetch) time. */
      readonly stamp: string | undefined
      readonly expected: Expected
    }

export type Planned = Extract<RowPlan, { readonly _tag: "Planned" }>

/** Why a row is not migrated at all, decided before its values are looked at (duplicates, collisions). */
export interface Exclusions {
  /** Skip reason of rows excluded by key (`describeKey` text). */
  readonly byKey: ReadonlyMap<string, { readonly kind: SkipKind; readonly reason: string }>
}

export const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const encoder = new TextEncoder()

/** JSON the way the fetch side writes its records (`ItemArtifacts.putJson`). */
export const recordBytes = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value, null, 2) + "\n")

const iso = (millis: number | null): string | undefined =>
  millis === null || !Number.isFinite(millis) ? undefined : new Date(millis).toISOString()

const artifact = (
  fields: Omit<PlannedArtifact, "sha256" | "alwaysStamped" | "size" | "bytes"> & {
    readonly bytes: Uint8Array
    readonly alwaysStamped?: boolean
  }
): PlannedArtifact => ({
  alwaysStamped: false,
  ...fields,
  size: fields.bytes.length,
  sha256: sha256(fields.bytes)
})

/**
 * A column whose values the plan never looks into: one rule for every value, to an artifact whose
 * extension is fixed and which the transform does not parse as JSON (HTML documents, media with an
 * extension). `verify` reads such values as their digest, computed by the server.
 */
export const digestable = (mapped: Mapping.ResolvedArtifact): boolean => {
  const only = mapped.rules.length === 1 ? mapped.rules[0]! : undefined
  return (
    only !== undefined &&
    only.when === undefined &&
    only.destination._tag === "Artifact" &&
    only.destination.ext !== undefined &&
    !only.destination.target.json
  )
}

const conditionHolds = (when: Mapping.RuleCondition | undefined, bytes: Uint8Array): boolean => {
  switch (when) {
    case undefined:
      return true
    case "whisper-json":
      return Sniff.isWhisperJson(bytes)
    case "json":
      return Sniff.json(bytes) !== undefined
    case "html":
      return Sniff.isHtml(bytes)
    case "text":
      return Sniff.text(bytes) !== undefined
  }
}

const decodeAnyJson = (what: string) => JsonArtifact.decode(Schema.Unknown, what)

/** The reason the transform would refuse the value, if it would (the fetch side's own extractors decide). */
const payloadProblem = (
  target: Targets.Target,
  bytes: Uint8Array,
  storyId: number
): Effect.Effect<string | undefined> => {
  const check = (effect: Effect.Effect<unknown, { readonly reason: string }>) =>
    effect.pipe(
      Effect.as(undefined),
      Effect.catch((error) => Effect.succeed(error.reason)),
      Effect.catchDefect((defect) => Effect.succeed(`the extractor failed on these bytes: ${String(defect)}`))
    )
  if (target.name === "item") return check(HnItem.parseItem(bytes))
  if (target.name === "comments") return check(HnItem.parseCommentTree(bytes, storyId))
  if (target.name === "transcript") return check(WhisperTranscript.parse(bytes))
  if (target.name === "enrichment-response") return check(ChatCompletion.parse(bytes))
  if (target.json) return check(decodeAnyJson(target.name)(bytes))
  return Effect.succeed(undefined)
}

const statusOf = (
  status: Mapping.StatusMapping | undefined,
  value: string | null
): "failed" | "pending" | "other" | undefined => {
  if (status === undefined || value === null) return undefined
  if (status.failed.includes(value)) return "failed"
  if (status.pending?.includes(value)) return "pending"
  return "other"
}

/** What the fetch side's transform counts as an item's content, per source. */
const CONTENT: ReadonlyMap<string, ReadonlyArray<string>> = new Map([
  ["hn", ["item", "article", "comments"]],
  ["feed", ["entry", "article", "audio", "video"]],
  ["web", ["page"]]
])

/** The entry's own guid: its id without the `<feed url> ` the fetch side scopes it with (`FeedEntryId`). */
const guidOf = (externalId: string, feedUrl: string | undefined): string =>
  feedUrl !== undefined && externalId.startsWith(`${feedUrl} `) ? externalId.slice(feedUrl.length + 1) : externalId

/** A row's artifacts, records and expectations. */
export const plan = (table: Mapping.ResolvedTable, row: LegacyRow, exclusions: Exclusions): Effect.Effect<RowPlan> =>
  Effect.gen(function* () {
    const spec = table.spec
    const source = spec.source
    const keyText = describeKey(table.key, row.key)
    const externalId = row.externalId
    const item = externalId === null ? undefined : { sourceType: source, externalId }
    const skip = (kind: SkipKind, reason: string): RowPlan => ({ _tag: "Skipped", kind, reason, item })
    if (externalId === null) return skip("null-id", `${spec.externalId} is NULL`)
    if (externalId.trim().length === 0) return skip("invalid-id", `${spec.externalId} is empty`)
    if (externalId.length > MAX_EXTERNAL_ID_LENGTH) {
      return skip(
        "invalid-id",
        `${spec.externalId} has ${externalId.length} characters; silver keeps ids up to ${MAX_EXTERNAL_ID_LENGTH}`
      )
    }
    if (Targets.isBookkeepingId(source, externalId)) {
      return skip(
        "invalid-id",
        `${spec.externalId} "${externalId}" starts with "_", which names a ${source} bookkeeping folder, not an item`
      )
    }
    const excluded = exclusions.byKey.get(keyText)
    if (excluded !== undefined) return skip(excluded.kind, excluded.reason)
    if (row.tooLarge) return skip("too-large", `the row's raw values hold ${row.bytes} bytes, over the row limit`)

    const fetchedAt = iso(row.fetchedAt)
    const time = row.updatedAt ?? row.fetchedAt
    const stamp = time === null || !Number.isFinite(time) ? undefined : ItemArtifacts.formatStamp(time)
    const storyId = Number(externalId)
    const artifacts: Array<PlannedArtifact> = []
    const flags: Array<Flag> = []
    const unmatched: Array<string> = []
    const columns: Record<string, unknown> = {}
    let entryContent: string | undefined
    let transcript: Expected["transcript"]
    let transcriptFlagged = false

    /** What the fetch side keeps of the response beside a document: here, what the legacy row knew. */
    const responseRecord = (target: Targets.Target, contentType: string | null): Array<PlannedArtifact> =>
      target.response && (row.url !== null || contentType !== null)
        ? [
            artifact({
              name: `${target.name}-response`,
              ext: "json",
              bytes: recordBytes({
                ...(row.url === null ? {} : { url: row.url }),
                headers: contentType === null ? {} : { "content-type": contentType },
                redirects: [],
                ...(fetchedAt === undefined ? {} : { at: fetchedAt }),
                source: "legacy"
              }),
              column: undefined,
              documentOf: target.name
            })
          ]
        : []

    for (const [i, mapped] of table.artifacts.entries()) {
      const value = row.raw[i] ?? null
      if (isDigest(value)) {
        const only = mapped.rules[0]
        if (value.size === 0) {
          columns[mapped.column] = null
          continue
        }
        if (!digestable(mapped) || only?.destination._tag !== "Artifact") {
          return yield* Effect.die(new Error(`${mapped.column}: a digest was read for a value its rules look into`))
        }
        const d = only.destination
        const planned: PlannedArtifact = {
          name: d.target.name,
          ext: d.ext!,
          bytes: undefined,
          size: value.size,
          sha256: value.sha256,
          column: mapped.column,
          alwaysStamped: d.target.alwaysStamped
        }
        artifacts.push(planned)
        columns[mapped.column] = { artifact: `${planned.name}.${planned.ext}`, sha256: value.sha256, bytes: value.size }
        artifacts.push(...responseRecord(d.target, row.contentTypes[i] ?? null))
        continue
      }
      const bytes = value
      if (bytes === null || bytes.length === 0) {
        columns[mapped.column] = null
        continue
      }
      const rule = mapped.rules.find((r) => conditionHolds(r.when, bytes))
      if (rule === undefined) {
        unmatched.push(mapped.column)
        columns[mapped.column] = { unmatched: `no rule matched (${Sniff.kindOf(bytes)})` }
        flags.push({
          column: mapped.column,
          reason: `no rule matched the value (it looks like ${Sniff.kindOf(bytes)}); not migrated`
        })
        continue
      }
      const d = rule.destination
      if (d._tag === "Skip") {
        columns[mapped.column] = {
          kept: "in the legacy table",
          ...(rule.when === undefined ? {} : { rule: rule.when })
        }
        continue
      }
      if (d._tag === "EntryContent") {
        const t = Sniff.text(bytes)
        if (t === undefined) {
          unmatched.push(mapped.column)
          flags.push({ column: mapped.column, reason: "not valid UTF-8: cannot be the entry's text; not migrated" })
          continue
        }
        entryContent = t
        columns[mapped.column] = {
          entry: "content",
          sha256: sha256(bytes),
          bytes: bytes.length,
          ...(rule.when === undefined ? {} : { rule: rule.when })
        }
        continue
      }
      const contentType = row.contentTypes[i] ?? null
      const ext =
        d.ext ??
        Targets.mediaExtension(contentType ?? undefined, row.url ?? undefined) ??
        (Sniff.kindOf(bytes) === "video" ? "mp4" : "bin")
      const planned = artifact({
        name: d.target.name,
        ext,
        bytes,
        column: mapped.column,
        alwaysStamped: d.target.alwaysStamped
      })
      artifacts.push(planned)
      columns[mapped.column] = {
        artifact: `${planned.name}.${planned.ext}`,
        sha256: planned.sha256,
        bytes: bytes.length,
        ...(rule.when === undefined ? {} : { rule: rule.when })
      }
      const problem = yield* payloadProblem(d.target, bytes, storyId)
      if (problem !== undefined) {
        const label = `${planned.name}${planned.alwaysStamped ? "@<stamp>" : ""}.${planned.ext}`
        flags.push({ column: mapped.column, reason: `${label}: ${problem}` })
      }
      if (d.target.name === "transcript") {
        if (problem !== undefined) transcriptFlagged = true
        else {
          const parsed = yield* Effect.orDie(WhisperTranscript.parse(bytes))
          transcript = { text: parsed.text, segments: parsed.segments.length }
        }
      }
      artifacts.push(...responseRecord(d.target, contentType))
    }

    if (spec.entry !== undefined) {
      const e = row.entry
      const text = (field: keyof Mapping.EntryMapping): string | undefined => {
        const v = e[field]
        return v === null || v === undefined ? undefined : typeof v === "number" ? new Date(v).toISOString() : v
      }
      const enclosureUrl = text("enclosureUrl")
      const length = e["enclosureLength"]
      const feedUrl = text("feedUrl")
      const author = text("author")
      const summary = text("summary")
      // The fields of the feed source's entry record (`FeedSource.EntryRecord`); `authors` present, so the
      // transform takes the record as complete (there is no feed document to complete it from).
      const record = {
        ...(feedUrl === undefined ? {} : { feedUrl }),
        guid: guidOf(externalId, feedUrl),
        title: text("title") ?? null,
        link: text("link") ?? null,
        published: text("published") ?? null,
        content: entryContent === undefined ? null : { value: entryContent, type: "text" },
        summary: summary === undefined ? null : { value: summary, type: "html" },
        authors: author === undefined ? [] : [author],
        categories: [],
        language: text("language") ?? null,
        enclosures:
          enclosureUrl === undefined
            ? []
            : [
                {
                  url: enclosureUrl,
                  type: text("enclosureType") ?? null,
                  length: length === null || length === undefined ? null : Number(length)
                }
              ],
        source: "legacy"
      }
      artifacts.push(artifact({ name: Targets.ENTRY, ext: "json", bytes: recordBytes(record), column: undefined }))
    }

    // What bronze cannot know: a legacy failure, carried as the fetch side's failure record.
    const failureStamp = stamp ?? "legacy"
    const legacyFetch = statusOf(spec.fetchStatus, row.fetchStatus)
    const hasContent =
      artifacts.some((a) => a.column !== undefined && (CONTENT.get(source) ?? [a.name]).includes(a.name)) ||
      (source === "feed" && spec.entry !== undefined)
    const fetchReason =
      legacyFetch === "failed"
        ? (row.fetchReason ?? `${spec.fetchStatus!.column} = ${row.fetchStatus} (no reason recorded)`)
        : undefined
    if (legacyFetch === "failed") {
      artifacts.push(
        artifact({
          name: Targets.FETCH_ERROR,
          ext: "json",
          fixedType: `${Targets.FETCH_ERROR}@${failureStamp}`,
          bytes: recordBytes({
            artifact: Targets.mainArtifact.get(source) ?? artifacts.find((a) => a.column !== undefined)?.name ?? "item",
            ...(row.url === null ? {} : { url: row.url }),
            reason: "legacy-failed",
            message: fetchReason,
            ...(fetchedAt === undefined ? {} : { at: fetchedAt }),
            source: "legacy"
          }),
          column: undefined
        })
      )
    }
    const legacyTranscription = statusOf(spec.transcriptionStatus, row.transcriptionStatus)
    const transcriptionReason =
      legacyTranscription === "failed"
        ? (row.transcriptionReason ??
          `${spec.transcriptionStatus!.column} = ${row.transcriptionStatus} (no reason recorded)`)
        : undefined
    if (legacyTranscription === "failed" && transcript === undefined) {
      artifacts.push(
        artifact({
          name: Targets.FETCH_ERROR,
          ext: "json",
          fixedType: `${Targets.FETCH_ERROR}@${failureStamp}.transcript`,
          bytes: recordBytes({
            artifact: "transcript",
            reason: "legacy-failed",
            message: transcriptionReason,
            source: "legacy"
          }),
          column: undefined
        })
      )
    }

    const media =
      artifacts.some((a) => a.column !== undefined && (a.name === "audio" || a.name === "video")) ||
      (spec.entry?.enclosureUrl !== undefined &&
        row.entry["enclosureUrl"] !== null &&
        row.entry["enclosureUrl"] !== undefined)
    const legacyTranscriptionStatus: Expected["legacyTranscriptionStatus"] =
      legacyTranscription === undefined
        ? "not_applicable"
        : legacyTranscription === "other"
          ? "transcribed"
          : legacyTranscription
    const legacyFetchStatus: Expected["legacyFetchStatus"] =
      legacyFetch === "failed" ? "failed" : legacyFetch === "pending" || !hasContent ? "pending" : "fetched"
    const expected: Expected = {
      legacyFetchStatus,
      legacyTranscriptionStatus,
      notes: [],
      fetchStatus: legacyFetch === "failed" ? "failed" : hasContent ? "fetched" : "pending",
      fetchReason,
      transcriptionStatus:
        transcript !== undefined
          ? "transcribed"
          : transcriptFlagged || legacyTranscription === "failed"
            ? "failed"
            : media
              ? "pending"
              : "not_applicable",
      transcriptionReason: transcript === undefined ? transcriptionReason : undefined,
      transcript
    }
    const notes = expected.notes as Array<string>
    if (legacyFetchStatus === "pending" && expected.fetchStatus === "fetched") {
      notes.push(
        `${spec.fetchStatus?.column} = ${row.fetchStatus} in the legacy table, but the row holds content: silver has it fetched`
      )
    }
    if (legacyTranscriptionStatus !== expected.transcriptionStatus) {
      const why =
        legacyTranscriptionStatus === "transcribed" && transcript === undefined
          ? "no value of the row was migrated as a Whisper transcript"
          : legacyTranscriptionStatus === "not_applicable"
            ? "the legacy table records no transcription status"
            : "the migrated values decide it"
      notes.push(
        `transcription: ${legacyTranscriptionStatus} in the legacy table, ${expected.transcriptionStatus} in silver: ${why}`
      )
    }

    const legacyRow = artifact({
      name: Targets.LEGACY_ROW,
      ext: "json",
      bytes: recordBytes({
        table: table.qualified,
        key: keyObject(table.key, row.key),
        externalId,
        fetchedAt: fetchedAt ?? null,
        updatedAt: iso(row.updatedAt) ?? null,
        columns,
        ...(spec.fetchStatus === undefined
          ? {}
          : { fetchStatus: { value: row.fetchStatus, ...(fetchReason === undefined ? {} : { reason: fetchReason }) } }),
        ...(spec.transcriptionStatus === undefined
          ? {}
          : {
              transcriptionStatus: {
                value: row.transcriptionStatus,
                ...(transcriptionReason === undefined ? {} : { reason: transcriptionReason })
              }
            })
      }),
      column: undefined
    })
    return {
      _tag: "Planned",
      item: { sourceType: source, externalId },
      artifacts,
      legacyRow,
      flags,
      unmatched,
      stamp,
      expected
    }
  })

/** The plan without the values' bytes: what is kept of a row once it is written (counts, checks). */
export const withoutBytes = (p: RowPlan): RowPlan =>
  p._tag === "Skipped"
    ? p
    : {
        ...p,
        artifacts: p.artifacts.map((a) => ({ ...a, bytes: undefined })),
        legacyRow: { ...p.legacyRow, bytes: undefined }
      }
