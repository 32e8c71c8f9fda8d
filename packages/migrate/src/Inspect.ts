/**
 * `inspect`: reads the legacy catalog and a sample of each table, and proposes a mapping: which tables
 * hold items and of which source type, the key and the external id, which columns hold raw payloads and
 * what artifact each becomes (with per-row rules where a column mixes kinds, e.g. Whisper JSON and final
 * text), the statuses with their failed values, the times. Each proposal carries its evidence in
 * `notes`; the operator reviews the file before `plan`. Only reads.
 */
import { Effect } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import * as LegacyCatalog from "./LegacyCatalog.ts"
import { LegacyDatabase } from "./LegacyDatabase.ts"
import type * as Mapping from "./Mapping.ts"
import * as Sniff from "./Sniff.ts"
import { quoteIdent } from "./TableReader.ts"

export const DEFAULT_SAMPLE = 200

export interface InspectOptions {
  /** Rows sampled per table. */
  readonly sample?: number | undefined
  /** Only these schemas (default: every non-system schema). */
  readonly schemas?: ReadonlyArray<string> | undefined
}

export interface ColumnEvidence {
  readonly column: string
  readonly type: string
  /** How many sampled non-empty values of each kind. */
  readonly kinds: Readonly<Partial<Record<Sniff.Kind, number>>>
  readonly sampled: number
}

export interface Proposal {
  /** A mapping document (validated by `Mapping.decode` before it is returned). */
  readonly document: Mapping.MappingDocument
  /** Tables left out and why. */
  readonly skipped: ReadonlyArray<{ readonly table: string; readonly reason: string }>
  readonly evidence: ReadonlyArray<{ readonly table: string; readonly columns: ReadonlyArray<ColumnEvidence> }>
}

const RAW_TYPES: ReadonlySet<LegacyCatalog.TypeClass> = new Set(["text", "json", "jsonb", "xml", "bytea"])

const named = (
  columns: ReadonlyArray<LegacyCatalog.Column>,
  patterns: ReadonlyArray<RegExp>,
  accept?: (c: LegacyCatalog.Column) => boolean
) => {
  for (const pattern of patterns) {
    const found = columns.find((c) => pattern.test(c.name) && (accept?.(c) ?? true))
    if (found !== undefined) return found
  }
  return undefined
}

const isTime = (c: LegacyCatalog.Column) => c.typeClass === "time" || c.typeClass === "date"
const isScalar = (c: LegacyCatalog.Column) => c.typeClass !== "bytea" && c.typeClass !== "other"

const dominant = (evidence: ColumnEvidence): { readonly kind: Sniff.Kind | undefined; readonly share: number } => {
  let best: Sniff.Kind | undefined
  let count = 0
  for (const [kind, n] of Object.entries(evidence.kinds) as Array<[Sniff.Kind, number]>) {
    if (n > count) {
      best = kind
      count = n
    }
  }
  return { kind: best, share: evidence.sampled === 0 ? 0 : count / evidence.sampled }
}

const describeKinds = (e: ColumnEvidence): string =>
  `${Object.entries(e.kinds)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(", ")} of ${e.sampled} sampled value(s)`

/** Values of a status column, most frequent first (at most 50). */
const statusValues = (table: LegacyCatalog.Table, column: string) =>
  Effect.flatMap(LegacyDatabase, ({ sql }) =>
    sql.unsafe<{ value: string | null }>(
      `select ${quoteIdent(column)}::text as value from ${quoteIdent(table.schema)}.${quoteIdent(table.name)}
        group by 1 order by count(*) desc limit 50`
    )
  ).pipe(Effect.map((rows) => rows.flatMap((r) => (r.value === null ? [] : [r.value]))))

/** Sampled values are cut at 1 MiB (enough to tell JSON from text for all but huge documents). */
const SAMPLE_VALUE_BYTES = 1024 * 1024
/** Rows sampled per query: at most that many cut values of each column are held at once. */
const SAMPLE_PAGE = 20

const sampleTable = (table: LegacyCatalog.Table, size: number) =>
  Effect.gen(function* () {
    const { sql } = yield* LegacyDatabase
    const raw = table.columns.filter((c) => RAW_TYPES.has(c.typeClass))
    if (raw.length === 0) return []
    const select = raw
      .map((c, i) =>
        c.typeClass === "bytea"
          ? `substring(${quoteIdent(c.name)} from 1 for ${SAMPLE_VALUE_BYTES}) as c${i}`
          : `substring(convert_to(${quoteIdent(c.name)}::text, 'UTF8') from 1 for ${SAMPLE_VALUE_BYTES}) as c${i}`
      )
      .join(", ")
    // A large table is sampled across its pages (the same pages for every query); a small one from the start.
    const from =
      table.estimatedRows > size * 20
        ? `${quoteIdent(table.schema)}.${quoteIdent(table.name)} tablesample system (${Math.min(100, ((size * 20) / table.estimatedRows) * 100).toFixed(4)}) repeatable (17)`
        : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
    const evidence = raw.map(() => ({ kinds: {} as Partial<Record<Sniff.Kind, number>>, sampled: 0 }))
    for (let offset = 0; offset < size; offset += SAMPLE_PAGE) {
      const rows = yield* sql.unsafe<Record<string, unknown>>(
        `select ${select} from ${from} limit ${Math.min(SAMPLE_PAGE, size - offset)} offset ${offset}`
      )
      for (const row of rows) {
        raw.forEach((_, i) => {
          const v = row[`c${i}`]
          if (!(v instanceof Uint8Array) || v.length === 0) return
          const kind = Sniff.kindOf(v)
          const e = evidence[i]!
          e.kinds[kind] = (e.kinds[kind] ?? 0) + 1
          e.sampled++
        })
      }
      if (rows.length < SAMPLE_PAGE) break
    }
    return raw.map((c, i): ColumnEvidence => ({ column: c.name, type: c.type, ...evidence[i]! }))
  })

const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 40) || "legacy"

type Source = "hn" | "feed" | "web" | "custom"

const guessSource = (table: LegacyCatalog.Table, evidence: ReadonlyArray<ColumnEvidence>): Source => {
  const has = (kind: Sniff.Kind) => evidence.some((e) => (e.kinds[kind] ?? 0) > 0)
  const names = [table.name, ...table.columns.map((c) => c.name)].join(" ")
  if (has("hn-item") || has("hn-comments") || /\bhn_|hacker_?news|^hn\b/i.test(names)) return "hn"
  if (
    has("whisper-json") ||
    has("audio") ||
    has("video") ||
    /guid|enclosure|episode|podcast|feed_url|audio/i.test(names)
  )
    return "feed"
  if (has("html")) return "web"
  return "custom"
}

/** The proposal for one table, or why it is left out. */
const proposeTable = (
  table: LegacyCatalog.Table,
  evidence: ReadonlyArray<ColumnEvidence>,
  statusOf: (column: string) => Effect.Effect<ReadonlyArray<string>, SqlError, LegacyDatabase>
): Effect.Effect<Mapping.TableMapping | string, SqlError, LegacyDatabase> =>
  Effect.gen(function* () {
    const key = table.uniqueKeys.find((k) =>
      k.every((c) => table.columns.find((x) => x.name === c)?.nullable === false)
    )
    if (key === undefined) return "no primary key or unique NOT NULL key to read it in order and resume by"
    const source = guessSource(table, evidence)
    const cols = table.columns
    const notes: Array<string> = []
    const artifacts: Array<Mapping.ArtifactMapping> = []
    const normalized: Array<string> = []
    const contentType = named(cols, [/^content_?type$/i, /mime/i, /_type$/i], (c) => c.typeClass === "text")
    const used = new Set<string>()
    for (const e of evidence) {
      const { kind, share } = dominant(e)
      const mixed = (e.kinds["whisper-json"] ?? 0) > 0 && (e.kinds["text"] ?? 0) > 0
      if (kind === undefined) {
        notes.push(`${e.column}: no sampled value; left out`)
        continue
      }
      const evidenceText = `${e.column}: ${describeKinds(e)}`
      const add = (mapping: Mapping.ArtifactMapping, why: string) => {
        artifacts.push(mapping)
        used.add(e.column)
        notes.push(`${evidenceText} -> ${why}`)
      }
      if (mixed && source === "feed") {
        add(
          { column: e.column, rules: [{ when: "whisper-json", as: "transcript" }, { as: "entry.content" }] },
          "Whisper JSON where it parses as one (transcript.json), else final text (the entry's own text)"
        )
        continue
      }
      if (share < 0.5 && kind !== "whisper-json") {
        notes.push(`${evidenceText}: no kind holds a majority; left out, map it by hand if it is raw`)
        continue
      }
      const document = source === "hn" || source === "feed" ? "article" : "page"
      switch (kind) {
        case "html":
          if (source === "custom") add({ column: e.column, as: slug(e.column), ext: "html" }, `${slug(e.column)}.html`)
          else
            add(
              {
                column: e.column,
                as: document,
                ...(contentType === undefined ? {} : { contentType: contentType.name })
              },
              `${document}.html (the document as received)`
            )
          break
        case "hn-item":
          if (source === "hn") add({ column: e.column, as: "item" }, "item.json (the HN API's item)")
          break
        case "hn-comments":
          if (source === "hn") add({ column: e.column, as: "comments" }, "comments@<stamp>.json (the comment tree)")
          break
        case "whisper-json":
          if (source === "feed") add({ column: e.column, as: "transcript" }, "transcript.json (Whisper verbose_json)")
          break
        case "chat-response":
          if (source !== "custom")
            add({ column: e.column, as: "enrichment-response" }, "enrichment-response.json (the LLM's answer)")
          break
        case "chat-request":
          if (source !== "custom")
            add({ column: e.column, as: "enrichment-prompt" }, "enrichment-prompt.json (the LLM request)")
          break
        case "audio":
        case "video":
          if (source === "feed") {
            const type = named(cols, [/^(audio|video|media|enclosure)_?(mime_?)?type$/i], (c) => c.typeClass === "text")
            add(
              { column: e.column, as: kind, ...(type === undefined ? {} : { contentType: type.name }) },
              `${kind} (media file)`
            )
          } else if (source === "custom")
            add({ column: e.column, as: slug(e.column), ext: kind === "audio" ? "mp3" : "mp4" }, "media file")
          break
        case "json":
        case "json-array":
          if (source === "custom")
            add({ column: e.column, as: slug(e.column), ext: "json" }, `${slug(e.column)}.json (an API payload)`)
          break
      }
      if (!used.has(e.column)) {
        if (kind === "text") normalized.push(e.column)
        notes.push(
          kind === "text"
            ? `${evidenceText} -> normalized (final text: rebuilt by the transform, left in the table)`
            : `${evidenceText}: the ${source} fetch side has no artifact for ${kind}; left out (a source type of one's own can keep it)`
        )
      }
    }
    if (artifacts.length === 0) return "no column holds a raw payload the migration knows"

    const keyColumn = table.columns.find((c) => c.name === key[0])!
    const externalId =
      source === "hn"
        ? named(cols, [/^hn_?id$/i, /^(item|story|external)_?id$/i, /^id$/i], isScalar)
        : source === "feed"
          ? named(cols, [/^(episode_|entry_)?guid$/i, /guid/i, /^(link|url)$/i], isScalar)
          : source === "web"
            ? named(cols, [/^(page_)?url$/i, /^link$/i], isScalar)
            : undefined
    const fetchedAt = named(
      cols,
      [/^(fetched|crawled|downloaded|retrieved|scraped)(_at|_on|_time)?$/i, /fetch/i, /^created(_at)?$/i],
      isTime
    )
    const updatedAt = named(cols, [/^(updated|modified|changed)(_at|_on)?$/i], isTime)
    const url = named(cols, [/^(page_|article_)?url$/i, /^link$/i, /^href$/i], (c) => c.typeClass === "text")
    const statusMapping = (status: LegacyCatalog.Column | undefined, reason: LegacyCatalog.Column | undefined) =>
      Effect.gen(function* () {
        if (status === undefined) return undefined
        const values = yield* statusOf(status.name)
        const failed = values.filter((v) => /fail|error|err\b|timeout|broken/i.test(v))
        const pending = values.filter((v) => /pend|queue|new|todo|wait|scheduled/i.test(v))
        notes.push(
          `${status.name}: values ${values.join(", ")}; failed: ${failed.join(", ") || "none"}; pending: ${pending.join(", ") || "none"}`
        )
        return {
          column: status.name,
          failed,
          ...(pending.length === 0 ? {} : { pending }),
          ...(reason === undefined ? {} : { reason: reason.name })
        }
      })
    const fetchStatus = yield* statusMapping(
      named(cols, [/^fetch_?status$/i, /^(status|state)$/i], (c) => c.typeClass === "text"),
      named(
        cols,
        [/^fetch_?error$/i, /^(last_)?error$/i, /^(error|failure)_?(reason|message)?$/i],
        (c) => c.typeClass === "text"
      )
    )
    const transcriptionStatus = yield* statusMapping(
      named(cols, [/^transcri\w*_?status$/i], (c) => c.typeClass === "text"),
      named(cols, [/^transcri\w*_?(error|reason)$/i], (c) => c.typeClass === "text")
    )
    const entry =
      source === "feed"
        ? Object.fromEntries(
            (
              [
                ["title", named(cols, [/^title$/i, /^name$/i], isScalar)],
                ["link", named(cols, [/^link$/i, /^(episode_|page_)?url$/i], isScalar)],
                [
                  "published",
                  named(
                    cols,
                    [/^(published|pub|aired|release)(_at|_date|_on)?$/i],
                    (c) => isTime(c) || c.typeClass === "text"
                  )
                ],
                ["author", named(cols, [/^(author|by|creator)$/i], isScalar)],
                ["language", named(cols, [/^(lang|language)$/i], isScalar)],
                ["feedUrl", named(cols, [/^feed(_url)?$/i], isScalar)],
                ["enclosureUrl", named(cols, [/^(audio|enclosure|media|mp3)_?url$/i], isScalar)],
                ["enclosureType", named(cols, [/^(audio|enclosure|media)_?(mime_?)?type$/i], isScalar)],
                ["enclosureLength", named(cols, [/^(audio|enclosure|media)_?(bytes|length|size)$/i], isScalar)]
              ] as const
            ).flatMap(([field, c]) => (c === undefined ? [] : [[field, c.name]]))
          )
        : undefined
    for (const c of cols) {
      if (used.has(c.name) || normalized.includes(c.name) || key.includes(c.name)) continue
      if (
        c.typeClass === "text" &&
        /^(title|author|by|summary|body(_text)?|text|description|excerpt|name)$/i.test(c.name)
      )
        normalized.push(c.name)
    }
    notes.push(`source type ${source === "custom" ? `${slug(table.name)} (a source type of one's own)` : source}`)
    // Columns the mapping already reads for something else are not "normalized" leftovers.
    const taken = new Set<string>([
      ...key,
      (externalId ?? keyColumn).name,
      ...[fetchedAt, updatedAt, url].flatMap((c) => (c === undefined ? [] : [c.name])),
      ...[fetchStatus, transcriptionStatus].flatMap((st) =>
        st === undefined ? [] : [st.column, ...(st.reason === undefined ? [] : [st.reason])]
      ),
      ...Object.values(entry ?? {}),
      ...artifacts.flatMap((a) => (a.contentType === undefined ? [] : [a.contentType]))
    ])
    const leftovers = normalized.filter((c) => !taken.has(c))
    const kept = notes.filter((n) => !(n.includes("-> normalized") && taken.has(n.slice(0, n.indexOf(":")))))
    notes.length = 0
    notes.push(...kept)
    normalized.length = 0
    normalized.push(...leftovers)
    return {
      table: `${table.schema}.${table.name}`,
      source: source === "custom" ? slug(table.name) : source,
      key: key.length === 1 ? key[0]! : key,
      externalId: (externalId ?? keyColumn).name,
      ...(fetchedAt === undefined ? {} : { fetchedAt: fetchedAt.name }),
      ...(updatedAt === undefined || updatedAt.name === fetchedAt?.name ? {} : { updatedAt: updatedAt.name }),
      ...(url === undefined ? {} : { url: url.name }),
      ...(fetchStatus === undefined ? {} : { fetchStatus }),
      ...(transcriptionStatus === undefined ? {} : { transcriptionStatus }),
      artifacts,
      ...(entry === undefined ? {} : { entry }),
      ...(normalized.length === 0 ? {} : { normalized }),
      notes
    } satisfies Mapping.TableMapping
  })

/** Proposes a mapping for the legacy database. */
export const inspect = Effect.fn("Inspect.inspect")(function* (
  options: InspectOptions = {}
): Effect.fn.Return<Proposal, SqlError, LegacyDatabase> {
  const size = options.sample ?? DEFAULT_SAMPLE
  const catalog = (yield* LegacyCatalog.tables()).filter(
    (t) => options.schemas === undefined || options.schemas.includes(t.schema)
  )
  const tables: Array<Mapping.TableMapping> = []
  const skipped: Array<{ table: string; reason: string }> = []
  const evidence: Array<{ table: string; columns: ReadonlyArray<ColumnEvidence> }> = []
  for (const table of catalog) {
    const name = `${table.schema}.${table.name}`
    const columns = yield* sampleTable(table, size)
    evidence.push({ table: name, columns })
    const proposal = yield* proposeTable(table, columns, (column) => statusValues(table, column))
    if (typeof proposal === "string") skipped.push({ table: name, reason: proposal })
    else tables.push(proposal)
  }
  return { document: { version: 1, tables }, skipped, evidence }
})
