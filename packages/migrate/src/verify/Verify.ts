/**
 * `verify`: the migration checked end to end, from the legacy rows. For every row it computes the plan
 * again (the same pure `RowPlan`), and checks that bronze holds each planned artifact with equal bytes
 * (sha256 of the file, read back), that silver holds the item with the statuses the legacy row implies
 * (a legacy `failed` with its reason), that silver's `body_text` is final text (no HTML document, no
 * Whisper JSON; a migrated transcript's text exactly), with as many segments as the Whisper JSON had,
 * and that silver was built from the artifacts bronze holds. It counts items per source and status,
 * legacy against silver, and lists every difference: explained (the run's report names the row, or the
 * mapping's rules imply it) or not. The outcome is saved for `finalize`.
 *
 * This is the one part of the migration that reads silver: it lives apart from the run path
 * (`@medallion/migrate/verify`), whose dependency rule forbids silver.
 */
import { type ArtifactInfo, BronzeReader, type BronzeIoError } from "@medallion/bronze"
import type { Status } from "@medallion/silver"
import { createHash } from "node:crypto"
import { Clock, Effect, Option, Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { type LegacyDatabase, snapshot } from "../LegacyDatabase.ts"
import { describeKey, type LegacyRow } from "../LegacyRow.ts"
import * as LegacyRun from "../LegacyRun.ts"
import type * as Mapping from "../Mapping.ts"
import * as RowPlan from "../RowPlan.ts"
import * as RunState from "../RunState.ts"
import * as TableReader from "../TableReader.ts"

export interface Difference {
  readonly table: string
  readonly key: string
  readonly item: string | undefined
  readonly explained: boolean
  readonly what: string
}

export interface CountRow {
  readonly source: string
  readonly status: "fetch_status" | "transcription_status"
  readonly value: string
  readonly legacy: number
  readonly silver: number
}

/** Rows per source: in the legacy tables, not migrated (listed in the report), found in silver. */
export interface SourceRows {
  readonly source: string
  legacyRows: number
  notMigrated: number
  inSilver: number
}

export interface VerifyReport {
  readonly rows: number
  readonly sources: ReadonlyArray<SourceRows>
  /** Per source and status: the legacy rows migrated (their status read through the mapping) and silver's items. */
  readonly counts: ReadonlyArray<CountRow>
  readonly differences: ReadonlyArray<Difference>
  readonly explained: number
  readonly unexplained: number
  readonly clean: boolean
  readonly elapsedMs: number
}

export interface VerifyOptions {
  readonly mapping: Mapping.Mapping
  readonly stateDir: string
  readonly concurrency?: number | undefined
  readonly batchBytes?: number | undefined
  /** Differences kept in the report (all are counted); default 10,000. */
  readonly maxListed?: number | undefined
}

/** Rows read ahead of the bronze checks (read as digests, a row is a few hundred bytes). */
const READ_AHEAD_ROWS = 1000
/** Items asked of silver in one query. */
const SILVER_GROUP = 500

interface SilverItem {
  readonly sourceType: string
  readonly externalId: string
  readonly fetchStatus: Status.FetchStatus
  readonly fetchError: string | null
  readonly transcriptionStatus: Status.TranscriptionStatus
  readonly transcriptionError: string | null
  readonly transformStatus: Status.TransformStatus
  readonly transformError: string | null
  readonly bodyDigest: string | null
  readonly bodyIsHtml: boolean
  readonly bodyIsWhisper: boolean
  readonly segments: number
  /** `[artifact_name, artifact_type, sha256]` of its provenance. */
  readonly artifacts: ReadonlyArray<readonly [string, string, string]>
}

/** Silver's rows of a batch of items, with what verify needs of their body (never the body itself). */
const silverItems = (keys: ReadonlyArray<{ readonly sourceType: string; readonly externalId: string }>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    if (keys.length === 0) return new Map<string, SilverItem>()
    const rows = yield* sql.unsafe<Record<string, unknown>>(
      `select i.source_type, i.external_id, i.fetch_status, i.fetch_error, i.transcription_status,
              i.transcription_error, i.transform_status, i.transform_error,
              md5(i.body_text) as body_digest,
              coalesce(i.body_text ~* '<(html|body|head|div|p|span|article|script)\\b[^>]*>', false) as body_is_html,
              coalesce(i.body_text ~ '^\\s*\\{' and i.body_text ~ '"segments"\\s*:\\s*\\[', false) as body_is_whisper,
              (select count(*)::int from transcript_segments s where s.item_id = i.id) as segments,
              (select coalesce(json_agg(json_build_array(a.artifact_name, a.artifact_type, a.sha256)), '[]'::json)
                 from item_artifacts a where a.item_id = i.id)::text as artifacts
         from items i
         join unnest($1::text[], $2::text[]) as k(source_type, external_id)
           on i.source_type = k.source_type and i.external_id = k.external_id`,
      [keys.map((k) => k.sourceType), keys.map((k) => k.externalId)]
    )
    const out = new Map<string, SilverItem>()
    for (const r of rows) {
      const get = (name: string) => r[name] ?? r[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())]
      const item: SilverItem = {
        sourceType: String(get("source_type")),
        externalId: String(get("external_id")),
        fetchStatus: get("fetch_status") as Status.FetchStatus,
        fetchError: (get("fetch_error") as string | null) ?? null,
        transcriptionStatus: get("transcription_status") as Status.TranscriptionStatus,
        transcriptionError: (get("transcription_error") as string | null) ?? null,
        transformStatus: get("transform_status") as Status.TransformStatus,
        transformError: (get("transform_error") as string | null) ?? null,
        bodyDigest: (get("body_digest") as string | null) ?? null,
        bodyIsHtml: get("body_is_html") === true,
        bodyIsWhisper: get("body_is_whisper") === true,
        segments: Number(get("segments")),
        artifacts: JSON.parse(String(get("artifacts"))) as Array<readonly [string, string, string]>
      }
      out.set(itemId(item.sourceType, item.externalId), item)
    }
    return out
  })

const itemId = (sourceType: string, externalId: string) => `${sourceType}/${externalId}`

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex")

const stampOf = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? "" : artifactType.slice(at + 1)
}

/** Newest first, as the transform orders versions (stamp, then write time). */
const newestFirst = (a: ArtifactInfo, b: ArtifactInfo) => {
  const sa = stampOf(a.key.artifactType)
  const sb = stampOf(b.key.artifactType)
  if (sa !== sb) return sa < sb ? 1 : -1
  return b.writtenAt - a.writtenAt
}

const versionsOf = (infos: ReadonlyArray<ArtifactInfo>, name: string, ext: string) =>
  infos
    .filter((i) => (i.key.artifactType === name || i.key.artifactType.startsWith(`${name}@`)) && i.key.ext === ext)
    .sort(newestFirst)

interface Checked {
  readonly key: ReadonlyArray<string>
  readonly planned: RowPlan.RowPlan
  /** Bronze's differences for the row. */
  readonly bronze: ReadonlyArray<string>
  /** The sha256 of each raw value found in bronze, by artifact name (what silver should be built from). */
  readonly found: ReadonlyMap<string, string>
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/**
 * Bronze against the plan: every planned artifact present with the same bytes. Each is read where the
 * import puts it (the plain name, or the row's version stamp) and hashed; only when that misses is the
 * item listed (which hashes every version) to find it among the others.
 */
const checkBronze = (
  planned: RowPlan.Planned
): Effect.Effect<{ problems: Array<string>; found: Map<string, string> }, BronzeIoError, BronzeReader> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    let listed: ReadonlyArray<ArtifactInfo> | undefined
    const list: Effect.Effect<ReadonlyArray<ArtifactInfo>, BronzeIoError> = Effect.suspend(() =>
      listed !== undefined
        ? Effect.succeed(listed)
        : Effect.map(reader.listItem(planned.item), (l) => {
            listed = l
            return l
          })
    )
    const read = (artifactType: string, ext: string) =>
      reader.get({ ...planned.item, artifactType, ext }).pipe(
        Effect.map((bytes): string | undefined => sha256(bytes)),
        Effect.catchTag("ArtifactNotFound", () => Effect.succeed(undefined))
      )
    const all = [...planned.artifacts, planned.legacyRow]
    // Where each artifact usually is (its first candidate; a response record beside a first version), read
    // at once: the checks below then rarely wait for a file.
    const likely = new Map<string, readonly [string, string]>()
    for (const a of all) {
      const type =
        a.documentOf !== undefined || a.fixedType !== undefined
          ? (a.fixedType ?? a.name)
          : a.alwaysStamped
            ? planned.stamp === undefined
              ? undefined
              : `${a.name}@${planned.stamp}`
            : a.name
      if (type !== undefined) likely.set(`${type}\u0000${a.ext}`, [type, a.ext])
    }
    const first = new Map<string, string | undefined>()
    yield* Effect.forEach(
      likely,
      ([name, [type, ext]]) => Effect.map(read(type, ext), (sha) => void first.set(name, sha)),
      { concurrency: "unbounded", discard: true }
    )
    const shaAt = (artifactType: string, ext: string) => {
      const name = `${artifactType}\u0000${ext}`
      return first.has(name) ? Effect.succeed(first.get(name)) : read(artifactType, ext)
    }
    const problems: Array<string> = []
    const found = new Map<string, string>()
    const stamps = new Map<string, string>()
    for (const a of all) {
      const label = `${a.name}.${a.ext}${a.column === undefined ? "" : ` (from ${a.column})`}`
      if (a.documentOf !== undefined) {
        const stamp = stamps.get(a.documentOf)
        if (stamp === undefined) continue
        const type = stamp === "" ? a.name : `${a.name}@${stamp}`
        if ((yield* shaAt(type, a.ext)) === undefined)
          problems.push(`bronze has no ${type}.${a.ext} beside its document`)
        continue
      }
      const stamped = planned.stamp === undefined ? [] : [`${a.name}@${planned.stamp}`]
      const candidates = a.fixedType !== undefined ? [a.fixedType] : a.alwaysStamped ? stamped : [a.name, ...stamped]
      let hit: string | undefined
      for (const type of candidates) {
        if ((yield* shaAt(type, a.ext)) === a.sha256) {
          hit = type
          break
        }
      }
      if (hit === undefined) {
        const versions = versionsOf(yield* list, a.name, a.ext).filter(
          (v) => a.fixedType === undefined || v.key.artifactType === a.fixedType
        )
        const same = versions.find((v) => v.sha256 === a.sha256)
        if (same === undefined) {
          problems.push(
            versions.length === 0
              ? `bronze has no ${label}`
              : `bronze's ${versions[0]!.key.artifactType}.${a.ext} (sha256 ${versions[0]!.sha256.slice(0, 12)}…, ${versions[0]!.size} bytes) differs from the legacy value (sha256 ${a.sha256.slice(0, 12)}…, ${a.size} bytes)${versions.length > 1 ? ` and so do its ${versions.length - 1} other version(s)` : ""}`
          )
          continue
        }
        hit = same.key.artifactType
      }
      stamps.set(a.name, stampOf(hit))
      if (a.column !== undefined) found.set(a.name, a.sha256)
    }
    return { problems, found }
  })

/** A raw value silver was not built from: a newer version in bronze (explained), or silver behind bronze. */
interface Suspect {
  readonly difference: Omit<Difference, "explained" | "what">
  readonly item: { readonly sourceType: string; readonly externalId: string }
  readonly name: string
  readonly usedType: string
  readonly usedSha: string
}

const judge = (suspect: Suspect): Effect.Effect<Difference, BronzeIoError, BronzeReader> =>
  Effect.gen(function* () {
    const infos = yield* (yield* BronzeReader).listItem(suspect.item)
    const newest = infos
      .filter((i) => i.key.artifactType === suspect.name || i.key.artifactType.startsWith(`${suspect.name}@`))
      .sort(newestFirst)[0]
    const followsBronze = newest !== undefined && newest.sha256 === suspect.usedSha
    return {
      ...suspect.difference,
      explained: followsBronze,
      what: followsBronze
        ? `bronze holds a newer ${suspect.name} than the legacy value (${newest.key.artifactType}.${newest.key.ext}, a later fetch or change); silver follows it`
        : `silver was built from ${suspect.usedType} (sha256 ${suspect.usedSha.slice(0, 12)}…), not from bronze's newest ${suspect.name}${newest === undefined ? "" : ` (${newest.key.artifactType}, sha256 ${newest.sha256.slice(0, 12)}…)`}: not transformed since`
    }
  })

const increment = (
  counts: Map<string, CountRow>,
  source: string,
  status: CountRow["status"],
  value: string,
  side: "legacy" | "silver"
) => {
  const key = `${source}\u0000${status}\u0000${value}`
  const row = counts.get(key) ?? { source, status, value, legacy: 0, silver: 0 }
  counts.set(key, { ...row, [side]: row[side] + 1 })
}

/** Checks every mapped row against bronze and silver. */
export const verify = Effect.fn("Verify.verify")(function* (
  options: VerifyOptions,
  file = "(mapping)"
): Effect.fn.Return<
  VerifyReport,
  SqlError | Mapping.MappingError | RunState.RunStateError | BronzeIoError,
  LegacyDatabase | BronzeReader | SqlClient
> {
  const started = yield* Clock.currentTimeMillis
  const mapping = options.mapping
  const catalog = yield* LegacyRun.checkedCatalog(mapping, file)
  const checkpoint = yield* RunState.readCheckpoint(options.stateDir)
  const report = yield* RunState.readReport(options.stateDir)
  const reported = new Map<string, Array<RunState.ReportLine>>()
  for (const line of report) {
    const table = mapping.tables.find((t) => t.qualified === line.table)
    if (table === undefined) continue
    const key = `${line.table}\u0000${describeKey(
      table.key,
      table.key.map((k) => line.key[k] ?? "")
    )}`
    const list = reported.get(key) ?? []
    list.push(line)
    reported.set(key, list)
  }
  const maxListed = options.maxListed ?? 10_000
  const differences: Array<Difference> = []
  let explained = 0
  let unexplained = 0
  let rows = 0
  const counts = new Map<string, CountRow>()
  const sources = new Map<string, SourceRows>()
  const note = (d: Difference) => {
    if (d.explained) explained++
    else unexplained++
    if (differences.length < maxListed) differences.push(d)
  }
  const complete = Option.isSome(checkpoint) && checkpoint.value.mapping === mapping.digest && checkpoint.value.complete
  if (!complete) {
    note({
      table: "(all)",
      key: "",
      item: undefined,
      explained: false,
      what: Option.isNone(checkpoint)
        ? "no run of this mapping is recorded in the data dir (run `migrate-legacy run` first)"
        : checkpoint.value.mapping !== mapping.digest
          ? "the recorded run used another mapping"
          : `the last run did not finish (it stopped in table ${checkpoint.value.table} after ${checkpoint.value.totals.rows} row(s)): run it again to resume`
    })
  }

  for (const table of mapping.tables) {
    const entry = LegacyRun.catalogOf(catalog, table)
    yield* snapshot(
      Effect.gen(function* () {
        const exclusions = yield* LegacyRun.exclusionsFor(table, catalog, mapping)
        const check = (row: LegacyRow) =>
          Effect.gen(function* () {
            const planned = yield* RowPlan.plan(table, row, exclusions)
            if (planned._tag === "Skipped")
              return { key: row.key, planned, bronze: [], found: new Map() } satisfies Checked
            const { problems, found } = yield* checkBronze(planned)
            // The values are checked: only what the comparison with silver needs is kept.
            return { key: row.key, planned: RowPlan.withoutBytes(planned), bronze: problems, found } satisfies Checked
          })
        // A pipeline: the next rows are read (their digests computed by the server) while bronze is read
        // for these, and silver is asked for a group while the next group's bronze is read.
        yield* TableReader.rows(table, entry, { batchBytes: options.batchBytes, digests: true }).pipe(
          Stream.buffer({ capacity: READ_AHEAD_ROWS }),
          Stream.mapEffect(check, { concurrency: options.concurrency ?? 16 }),
          Stream.grouped(SILVER_GROUP),
          Stream.mapEffect(
            (group) =>
              Effect.map(
                silverItems(group.flatMap((c) => (c.planned._tag === "Planned" ? [c.planned.item] : []))),
                (silver) => ({ group, silver })
              ),
            { concurrency: 2 }
          ),
          Stream.runForEach(({ group, silver }) =>
            Effect.gen(function* () {
              const suspects: Array<Suspect> = []
              for (const c of group) compare(table, c, silver, suspects)
              for (const d of yield* Effect.forEach(suspects, judge, { concurrency: 8 })) note(d)
            })
          )
        )
      })
    )
  }

  function compare(
    table: Mapping.ResolvedTable,
    c: Checked,
    silver: ReadonlyMap<string, SilverItem>,
    suspects: Array<Suspect>
  ) {
    rows++
    const perSource = sources.get(table.spec.source) ?? {
      source: table.spec.source,
      legacyRows: 0,
      notMigrated: 0,
      inSilver: 0
    }
    sources.set(table.spec.source, perSource)
    perSource.legacyRows++
    const keyText = describeKey(table.key, c.key)
    const lines = reported.get(`${table.qualified}\u0000${keyText}`) ?? []
    const source = table.spec.source
    const p = c.planned
    const item = p.item === undefined ? undefined : itemId(p.item.sourceType, p.item.externalId)
    const flagged = lines.some((l) => l.kind !== "skipped")
    const diff = (what: string, isExplained: boolean) =>
      note({ table: table.qualified, key: keyText, item, explained: isExplained, what })
    if (p._tag === "Skipped") {
      perSource.notMigrated++
      const listed = lines.some((l) => l.kind === "skipped")
      diff(
        listed
          ? `not migrated: ${p.reason}`
          : `would not be migrated (${p.reason}) and the run's report does not list it`,
        listed
      )
      return
    }
    increment(counts, source, "fetch_status", p.expected.legacyFetchStatus, "legacy")
    increment(counts, source, "transcription_status", p.expected.legacyTranscriptionStatus, "legacy")
    for (const n of p.expected.notes) diff(n, true)
    for (const column of p.unmatched) {
      diff(
        `${column}: no rule matched the value; it is only in the legacy table`,
        lines.some((l) => l.kind === "unmatched" && l.problem === column)
      )
    }
    for (const problem of c.bronze) diff(problem, false)
    const s = silver.get(item!)
    if (s === undefined) {
      diff("silver has no row for the item (has the transform daemon processed bronze since the run?)", false)
      return
    }
    perSource.inSilver++
    increment(counts, source, "fetch_status", s.fetchStatus, "silver")
    increment(counts, source, "transcription_status", s.transcriptionStatus, "silver")
    const e = p.expected
    if (e.fetchStatus === "failed") {
      if (s.fetchStatus !== "failed")
        diff(`fetch_status is ${s.fetchStatus} in silver; the legacy row failed (${e.fetchReason})`, false)
      else if (e.fetchReason !== undefined && !(s.fetchError ?? "").includes(e.fetchReason.slice(0, 200))) {
        diff(`silver's fetch_error does not carry the legacy reason "${e.fetchReason}": ${s.fetchError}`, false)
      }
    } else if (e.fetchStatus === "fetched" && s.fetchStatus === "gone") {
      diff(`fetch_status is gone in silver, fetched in the legacy table: ${s.fetchError}`, true)
    } else if (s.fetchStatus !== e.fetchStatus) {
      diff(`fetch_status is ${s.fetchStatus} in silver, expected ${e.fetchStatus}`, flagged)
    }
    if (s.transcriptionStatus !== e.transcriptionStatus) {
      diff(
        `transcription_status is ${s.transcriptionStatus} in silver, expected ${e.transcriptionStatus}${s.transcriptionError === null ? "" : ` (${s.transcriptionError})`}`,
        flagged
      )
    } else if (
      e.transcriptionStatus === "failed" &&
      e.transcriptionReason !== undefined &&
      !(s.transcriptionError ?? "").includes(e.transcriptionReason.slice(0, 200))
    ) {
      diff(`silver's transcription_error does not carry the legacy reason "${e.transcriptionReason}"`, false)
    }
    if (s.transformStatus === "failed") diff(`silver's transform failed: ${s.transformError}`, flagged)
    else if (s.transformStatus !== "transformed" && e.fetchStatus === "fetched")
      diff(`transform_status is ${s.transformStatus} in silver`, false)
    if (s.bodyIsHtml) diff("silver's body_text holds HTML markup, not final text", false)
    if (s.bodyIsWhisper) diff("silver's body_text holds Whisper JSON, not final text", false)
    if (e.transcript !== undefined) {
      if (s.bodyDigest !== md5(e.transcript.text)) diff("silver's body_text is not the transcript's text", false)
      if (s.segments !== e.transcript.segments) {
        diff(`silver holds ${s.segments} transcript segment(s), the Whisper JSON ${e.transcript.segments}`, false)
      }
    }
    if (s.transformStatus === "transformed") {
      for (const [name, sha] of c.found) {
        const used = s.artifacts.find(([artifactName]) => artifactName === name)
        if (used !== undefined && used[2] !== sha) {
          suspects.push({
            difference: { table: table.qualified, key: keyText, item },
            item: p.item,
            name,
            usedType: used[1],
            usedSha: used[2]
          })
        }
      }
    }
  }

  const finished = yield* Clock.currentTimeMillis
  const result: VerifyReport = {
    rows,
    sources: [...sources.values()],
    counts: [...counts.values()].sort((a, b) =>
      a.source !== b.source
        ? a.source < b.source
          ? -1
          : 1
        : a.status !== b.status
          ? a.status < b.status
            ? -1
            : 1
          : a.value < b.value
            ? -1
            : 1
    ),
    differences,
    explained,
    unexplained,
    clean: unexplained === 0,
    elapsedMs: finished - started
  }
  yield* RunState.saveVerify(options.stateDir, {
    mapping: mapping.digest,
    pass: Option.isSome(checkpoint) ? checkpoint.value.pass : 0,
    at: finished,
    clean: result.clean,
    rows,
    unexplained,
    explained
  })
  return result
})
