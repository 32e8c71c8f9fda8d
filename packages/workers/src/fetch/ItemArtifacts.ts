/**
 * What bronze holds for an item, read back to decide what to fetch: the fetch
 * side keeps no state of its own. Version stamps come from the `Clock`.
 */
import { BronzeReader, BronzeWriter, location } from "@medallion/bronze"
import type {
  ArtifactConflict,
  ArtifactInfo,
  ArtifactKey,
  BronzeIoError,
  InvalidKey,
  PutResult
} from "@medallion/bronze"
import { createHash } from "node:crypto"
import { Clock, DateTime, Effect, Option } from "effect"
import type { FetchError } from "../http/FetchError.ts"
import * as DiscoveryFailures from "./DiscoveryFailures.ts"

/** `2026-11-27T05-00-00Z`: an ISO instant that fits an artifact type's version stamp (no `:`). */
export const formatStamp = (millis: number): string =>
  DateTime.formatIso(DateTime.makeUnsafe(millis))
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/:/g, "-")

/** The stamp for now, from the `Clock` (tests control it). */
export const stampNow: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, formatStamp)

/** The millis of a stamp written by `formatStamp`, or `undefined`. */
export const parseStamp = (stamp: string): number | undefined => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(stamp)
  if (!m) return undefined
  const t = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`)
  return Number.isNaN(t) ? undefined : t
}

export interface Version {
  readonly info: ArtifactInfo
  /** The stamp's time, else the write time (unstamped first versions). */
  readonly at: number
}

/** All versions of one artifact base name (`comments`, `comments@...`), oldest first. */
export const versions = (infos: ReadonlyArray<ArtifactInfo>, base: string): ReadonlyArray<Version> =>
  infos
    .filter((i) => i.key.artifactType === base || i.key.artifactType.startsWith(`${base}@`))
    .map((info) => {
      const at = info.key.artifactType.includes("@") ? parseStamp(info.key.artifactType.split("@")[1]!) : undefined
      return { info, at: at ?? info.writtenAt }
    })
    .sort((a, b) => a.at - b.at)

export const latest = (infos: ReadonlyArray<ArtifactInfo>, base: string): Version | undefined => {
  const all = versions(infos, base)
  return all[all.length - 1]
}

/** The item's artifacts. */
export const list = (sourceType: string, externalId: string) =>
  Effect.flatMap(Effect.service(BronzeReader), (reader) => reader.listItem({ sourceType, externalId }))

/** The key for the next version of `base`: unversioned the first time, stamped after. */
export const nextKey = (
  infos: ReadonlyArray<ArtifactInfo>,
  item: { readonly sourceType: string; readonly externalId: string },
  base: string,
  ext: string
): Effect.Effect<ArtifactKey> =>
  Effect.map(stampNow, (stamp) => ({
    sourceType: item.sourceType,
    externalId: item.externalId,
    artifactType: versions(infos, base).length === 0 ? base : `${base}@${stamp}`,
    ext
  }))

const encoder = new TextEncoder()

export const putJson = (
  key: ArtifactKey,
  value: unknown
): Effect.Effect<PutResult, ArtifactConflict | BronzeIoError | InvalidKey, BronzeWriter> =>
  Effect.flatMap(Effect.service(BronzeWriter), (writer) =>
    writer.put(key, encoder.encode(JSON.stringify(value, null, 2) + "\n"))
  )

/** Reads and JSON-parses an artifact; `None` when absent or not JSON. */
export const readJson = (key: ArtifactKey) =>
  Effect.flatMap(Effect.service(BronzeReader), (reader) =>
    reader.get(key).pipe(
      Effect.map((bytes) => {
        try {
          return Option.some(JSON.parse(new TextDecoder().decode(bytes)) as unknown)
        } catch {
          return Option.none<unknown>()
        }
      }),
      Effect.catchTag("ArtifactNotFound", () => Effect.succeed(Option.none<unknown>()))
    )
  )

/** The raw record of a failed fetch: what silver shows as `fetch_status = failed` and its reason. */
export interface FailureRecord {
  readonly artifact: string
  readonly url: string | undefined
  readonly reason: string
  readonly message: string
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly bodyExcerpt?: string | undefined
  readonly redirects?: ReadonlyArray<string> | undefined
  readonly attempts?: number | undefined
  readonly at: string
}

export const failureFromFetchError = (artifact: string, error: FetchError, at: string): FailureRecord => ({
  artifact,
  url: error.url,
  reason: error.reason,
  message: error.message,
  status: error.status,
  headers: error.headers,
  bodyExcerpt: error.bodyExcerpt,
  redirects: error.redirects,
  attempts: error.attempts,
  at
})

/** The record of a failed fetch as `recordFailure` takes it (it stamps `at` itself). */
export const failureOf = (artifact: string, error: FetchError): Omit<FailureRecord, "at"> => {
  const { at: _at, ...record } = failureFromFetchError(artifact, error, "")
  return record
}

/**
 * Writes `fetch-error@<stamp>.json` for the item; returns its location. Written during a discovery, the
 * failure is also noted for the run's report (`DiscoveryFailures`).
 */
export const recordFailure = (
  item: { readonly sourceType: string; readonly externalId: string },
  record: Omit<FailureRecord, "at">
) =>
  Effect.gen(function* () {
    const millis = yield* Clock.currentTimeMillis
    const stamp = formatStamp(millis)
    const key: ArtifactKey = { ...item, artifactType: `fetch-error@${stamp}`, ext: "json" }
    const result = yield* putJson(key, { ...record, at: DateTime.formatIso(DateTime.makeUnsafe(millis)) }).pipe(
      // Two failures of one item in the same second: the first record stands.
      Effect.catchTag("ArtifactConflict", () => Effect.succeed(undefined))
    )
    const written = result === undefined ? location(key) : result.location
    yield* DiscoveryFailures.note({
      externalId: item.externalId,
      artifact: record.artifact,
      url: record.url,
      reason: record.reason,
      message: record.message,
      location: written
    })
    return written
  })

/** The response metadata (final URL, status, headers) stored beside a document: its charset and validators live there. */
export interface ResponseRecord {
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly redirects: ReadonlyArray<string>
  readonly at: string
}

/** The sha256 of bytes, hex: to skip storing a discovery document identical to the last one. */
export const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** The record of a fetch that succeeded with nothing new to store: `<base>-unchanged@<stamp>.json`. */
export const unchangedName = (base: string): string => `${base}-unchanged`

/**
 * Records that a fetch of `base` succeeded without anything new to store (a 304, or bytes identical to the
 * stored version), but only when a failure of `base` was recorded since its last stored version: the
 * success must supersede that failure in bronze, or silver would report it failed until the source
 * changes. A failure to parse (`invalid-response`) is not superseded: unchanged bytes are the same bad
 * document. Returns the location written, or `undefined` when there was nothing to supersede.
 */
export const recordUnchanged = (
  infos: ReadonlyArray<ArtifactInfo>,
  item: { readonly sourceType: string; readonly externalId: string },
  base: string,
  url?: string | undefined
) =>
  Effect.gen(function* () {
    const since = Math.max(latest(infos, base)?.at ?? -Infinity, latest(infos, unchangedName(base))?.at ?? -Infinity)
    // Failure records written after the last success, newest first; usually none, so nothing is read.
    const recent = versions(infos, "fetch-error")
      .filter((v) => v.at >= since)
      .reverse()
    for (const failure of recent) {
      const record = Option.getOrUndefined(yield* readJson(failure.info.key)) as
        { readonly artifact?: unknown; readonly reason?: unknown } | undefined
      if (record?.artifact !== undefined && record.artifact !== base) continue
      if (record?.reason === "invalid-response") return undefined
      const millis = yield* Clock.currentTimeMillis
      const key: ArtifactKey = { ...item, artifactType: `${unchangedName(base)}@${formatStamp(millis)}`, ext: "json" }
      const at = DateTime.formatIso(DateTime.makeUnsafe(millis))
      return yield* putJson(key, { artifact: base, ...(url === undefined ? {} : { url }), at }).pipe(
        Effect.map((result) => result.location),
        // A second record in the same second says the same.
        Effect.catchTag("ArtifactConflict", () => Effect.succeed(location(key)))
      )
    }
    return undefined
  })

/**
 * Stores a new version of `base` unless its bytes equal the latest version's.
 * Returns the location written, or `undefined` when nothing changed (then a failure of `base` recorded
 * since is superseded by a `<base>-unchanged` record, see `recordUnchanged`).
 */
export const putVersionIfChanged = (
  infos: ReadonlyArray<ArtifactInfo>,
  item: { readonly sourceType: string; readonly externalId: string },
  base: string,
  ext: string,
  bytes: Uint8Array
) =>
  Effect.gen(function* () {
    const last = latest(infos, base)
    if (last !== undefined && last.info.sha256 === sha256(bytes)) {
      yield* recordUnchanged(infos, item, base)
      return undefined
    }
    const key = yield* nextKey(infos, item, base, ext)
    const writer = yield* BronzeWriter
    // Another fetcher may have stored a different version under the same key (same second) first:
    // bronze keeps theirs, and it serves as this version too.
    return yield* writer.put(key, bytes).pipe(
      Effect.map((result) => result.location),
      Effect.catchTag("ArtifactConflict", () => Effect.succeed(location(key)))
    )
  })

/** The response record of a fetch, stamped now. */
export const responseRecord = (response: {
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly redirects: ReadonlyArray<string>
}) =>
  Effect.map(Clock.currentTimeMillis, (millis): ResponseRecord => ({
    url: response.url,
    status: response.status,
    headers: response.headers,
    redirects: response.redirects,
    at: DateTime.formatIso(DateTime.makeUnsafe(millis))
  }))

/**
 * The artifact type of the response record that belongs to a document version: `article` ->
 * `article-response`, `page@2026-11-27T05-00-00Z` -> `page-response@2026-11-27T05-00-00Z`.
 */
export const responseTypeOf = (documentType: string): string => {
  const at = documentType.indexOf("@")
  return at === -1 ? `${documentType}-response` : `${documentType.slice(0, at)}-response${documentType.slice(at)}`
}

/** The stored response record of a document version, if its writer got that far. */
const responseOf = (infos: ReadonlyArray<ArtifactInfo>, document: Version): ArtifactInfo | undefined => {
  const type = responseTypeOf(document.info.key.artifactType)
  return infos.find((i) => i.key.artifactType === type)
}

/**
 * Whether a document version is complete: its response record (charset, validators) is stored too. A
 * fetch killed between the two leaves the document alone; the next fetch treats it as not fetched and
 * completes it (`putDocument`).
 */
export const isComplete = (infos: ReadonlyArray<ArtifactInfo>, document: Version | undefined): boolean =>
  document !== undefined && responseOf(infos, document) !== undefined

/** The headers of a document version's own response record (`{}` when there is none or it does not parse). */
export const responseHeadersOf = (infos: ReadonlyArray<ArtifactInfo>, document: Version | undefined) =>
  Effect.gen(function* () {
    const response = document === undefined ? undefined : responseOf(infos, document)
    const record = response === undefined ? Option.none() : yield* readJson(response.key)
    return Option.match(record, {
      onNone: () => ({}) as Record<string, string>,
      onSome: (r) => (r as { headers?: Record<string, string> }).headers ?? {}
    })
  })

/** A fetched document with what its response said. */
export interface FetchedDocument {
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly redirects: ReadonlyArray<string>
  readonly body: Uint8Array
}

/**
 * Stores a fetched document and its response record as one version of `base` (one version stamp for
 * both), the document first, then the record: bronze is write-once per file, so the pair cannot appear
 * at once, but a document is only complete with its record (`isComplete`). When the newest stored
 * version already holds these bytes, only its record is written if it is missing (a fetch killed between
 * the two), so the next fetch completes what a crash left. `undefined` when nothing was written (same
 * bytes, record present); else the document's location and every location written.
 */
export const putDocument = (
  infos: ReadonlyArray<ArtifactInfo>,
  item: { readonly sourceType: string; readonly externalId: string },
  base: string,
  ext: string,
  document: FetchedDocument
) =>
  Effect.gen(function* () {
    const record = yield* responseRecord(document)
    // Another fetcher may have stored the same key first (same second): bronze keeps theirs.
    const keep = <R>(
      key: ArtifactKey,
      put: Effect.Effect<PutResult, ArtifactConflict | BronzeIoError | InvalidKey, R>
    ) =>
      put.pipe(
        Effect.map((result) => result.location),
        Effect.catchTag("ArtifactConflict", () => Effect.succeed(location(key)))
      )
    const last = latest(infos, base)
    if (last !== undefined && last.info.sha256 === sha256(document.body)) {
      // The same bytes: a failure of `base` recorded since is superseded (see `recordUnchanged`).
      yield* recordUnchanged(infos, item, base, document.url)
      if (isComplete(infos, last)) return undefined
      const recordKey: ArtifactKey = {
        ...last.info.key,
        artifactType: responseTypeOf(last.info.key.artifactType),
        ext: "json"
      }
      const written = yield* keep(recordKey, putJson(recordKey, record))
      return { document: last.info.location, written: [written] }
    }
    const key = yield* nextKey(infos, item, base, ext)
    const writer = yield* BronzeWriter
    const stored = yield* keep(key, writer.put(key, document.body))
    const recordKey: ArtifactKey = { ...key, artifactType: responseTypeOf(key.artifactType), ext: "json" }
    const written = yield* keep(recordKey, putJson(recordKey, record))
    return { document: stored, written: [stored, written] }
  })

/** The validators of a conditional request, from the stored response headers of the copy held (if one is). */
export const conditional = (held: boolean, headers: Readonly<Record<string, string>>) => ({
  ...(held && headers["etag"] !== undefined ? { etag: headers["etag"] } : {}),
  ...(held && headers["last-modified"] !== undefined ? { lastModified: headers["last-modified"] } : {})
})

/** The writer, for sources that put artifacts themselves. */
export const writer = Effect.service(BronzeWriter)

/** The bytes of a stored artifact. */
export const readBytes = (key: ArtifactKey) => Effect.flatMap(Effect.service(BronzeReader), (reader) => reader.get(key))
