/**
 * The append-only `_index.jsonl`: one JSON line per artifact, appended after the artifact is visible.
 *
 * - Appends are one `write(2)` on a file opened `O_APPEND`, so lines of concurrent writers (also in
 *   different processes) never interleave.
 * - A crash mid-append can leave a torn last line. Readers never consume a line without its newline,
 *   and skip complete lines that do not parse. The next writer terminates a torn tail with a newline
 *   (never truncates: a cursor may already point past the torn bytes).
 * - Every line starts with `{"v":1,`. JSON escapes `"` inside strings, so that marker only occurs at the
 *   start of a line; when a line holds a torn fragment followed by a complete entry, the entry after
 *   the last marker is still recovered.
 */
import * as NodeFs from "node:fs/promises"
import { Effect, Option, Schema } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"
import { ABSENT_INDEX_ID, type IndexEntry, type IndexPage, type TailIndexOptions } from "./Catalog.ts"
import * as FileSync from "./FileSync.ts"
import type { FileSyncShape } from "./FileSync.ts"

export const INDEX_FILE_NAME = "_index.jsonl"

const LINE_MARKER = '{"v":1,'
const NEWLINE = 0x0a

export const IndexLine = Schema.Struct({
  v: Schema.Literal(1),
  location: Schema.String,
  sourceType: ArtifactKey.SourceType,
  // What folders can stand for, not only what the writer accepts today: a line of an id written before a
  // rule was added is reported (and quarantined by its consumer) rather than silently skipped.
  externalId: ArtifactKey.StoredExternalId,
  artifactType: ArtifactKey.ArtifactType,
  ext: ArtifactKey.Extension,
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  sha256: ArtifactKey.Sha256Hex,
  writtenAt: Schema.Number
}).annotate({ identifier: "IndexLine" })

const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(IndexLine))

/** The line for one artifact, newline included. Key order is fixed so that every line starts with the marker. */
export const encodeIndexLine = (info: ArtifactKey.ArtifactInfo): string =>
  JSON.stringify({
    v: 1,
    location: info.location,
    sourceType: info.key.sourceType,
    externalId: info.key.externalId,
    artifactType: info.key.artifactType,
    ext: info.key.ext,
    size: info.size,
    sha256: info.sha256,
    writtenAt: info.writtenAt
  }) + "\n"

const toInfo = (line: typeof IndexLine.Type): Option.Option<ArtifactKey.ArtifactInfo> => {
  const key = {
    sourceType: line.sourceType,
    externalId: line.externalId,
    artifactType: line.artifactType,
    ext: line.ext
  }
  // A line whose location does not match its key is foreign or corrupt: skipped like any unparsable line.
  if (ArtifactKey.location(key) !== line.location) return Option.none()
  return Option.some({ key, size: line.size, sha256: line.sha256, writtenAt: line.writtenAt, location: line.location })
}

/** Parses one line (without its newline); `None` for anything that is not a valid entry. */
export const decodeIndexLine = (text: string): Option.Option<ArtifactKey.ArtifactInfo> => {
  if (text.length === 0) return Option.none()
  const whole = Option.flatMap(decodeLine(text), toInfo)
  if (Option.isSome(whole)) return whole
  const last = text.lastIndexOf(LINE_MARKER)
  return last > 0 ? Option.flatMap(decodeLine(text.slice(last)), toInfo) : Option.none()
}

const utf8 = new TextDecoder()

/**
 * Parses complete lines of `bytes` (which start at file offset `base`) into entries, up to `maxEntries`.
 * Returns where the consumed part ends; a trailing fragment without a newline is not consumed.
 */
export const parseIndexBytes = (
  bytes: Uint8Array,
  base: number,
  maxEntries: number
): { readonly entries: Array<IndexEntry>; readonly consumed: number } => {
  const entries: Array<IndexEntry> = []
  let start = 0
  while (entries.length < maxEntries) {
    const nl = bytes.indexOf(NEWLINE, start)
    if (nl < 0) break
    const info = decodeIndexLine(utf8.decode(bytes.subarray(start, nl)))
    start = nl + 1
    if (Option.isSome(info)) entries.push({ info: info.value, endOffset: base + start })
  }
  return { entries, consumed: start }
}

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

/** Identity of an open index file: a replaced file (new inode or birth time) gets a new id. */
const identityOf = (stat: import("node:fs").BigIntStats): string =>
  `${stat.dev.toString(36)}.${stat.ino.toString(36)}.${stat.birthtimeNs.toString(36)}`

/** The page after `offset`, at most `maxEntries` entries, reading 64 KB at a time. */
export const tailIndexFile = (indexPath: string, options: TailIndexOptions): Effect.Effect<IndexPage, BronzeIoError> =>
  Effect.tryPromise({
    try: async (): Promise<IndexPage> => {
      let handle: NodeFs.FileHandle
      try {
        handle = await NodeFs.open(indexPath, "r")
      } catch (cause) {
        if (errno(cause) !== "ENOENT") throw cause
        const replaced = options.offset > 0 || (options.indexId !== undefined && options.indexId !== ABSENT_INDEX_ID)
        return { indexId: ABSENT_INDEX_ID, entries: [], nextOffset: 0, replaced }
      }
      try {
        const stat = await handle.stat({ bigint: true })
        const indexId = identityOf(stat)
        const size = Number(stat.size)
        const otherFile =
          options.indexId !== undefined && options.indexId !== indexId && options.indexId !== ABSENT_INDEX_ID
        const replaced = otherFile || options.offset > size
        const start = replaced || options.indexId === ABSENT_INDEX_ID ? 0 : options.offset
        const entries: Array<IndexEntry> = []
        let position = start
        let pending = new Uint8Array(0)
        const chunk = new Uint8Array(64 * 1024)
        while (entries.length < options.maxEntries) {
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, position + pending.length)
          if (bytesRead === 0) break
          const bytes = new Uint8Array(pending.length + bytesRead)
          bytes.set(pending, 0)
          bytes.set(chunk.subarray(0, bytesRead), pending.length)
          const parsed = parseIndexBytes(bytes, position, options.maxEntries - entries.length)
          entries.push(...parsed.entries)
          position += parsed.consumed
          pending = bytes.slice(parsed.consumed)
        }
        return { indexId, entries, nextOffset: position, replaced }
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => new BronzeIoError({ operation: "tail-index", location: INDEX_FILE_NAME, cause })
  })

const endsWithNewline = async (handle: NodeFs.FileHandle): Promise<boolean> => {
  const { size } = await handle.stat()
  if (size === 0) return true
  const last = new Uint8Array(1)
  await handle.read(last, 0, 1, size - 1)
  return last[0] === NEWLINE
}

const writeFully = async (handle: NodeFs.FileHandle, bytes: Uint8Array): Promise<void> => {
  let offset = 0
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    offset += bytesWritten
  }
}

const utf8Encoder = new TextEncoder()

/**
 * Appends lines in one write (terminating a torn tail first, in the same write) and syncs the file.
 * Returns whether a torn tail was terminated.
 */
export const appendIndexLines = (
  indexPath: string,
  lines: string,
  sync: FileSyncShape = FileSync.node
): Effect.Effect<boolean, BronzeIoError> =>
  Effect.tryPromise({
    try: async () => {
      // `a+`: appends with O_APPEND, and can read the last byte to detect a torn tail.
      const handle = await NodeFs.open(indexPath, "a+")
      try {
        const torn = !(await endsWithNewline(handle))
        if (lines.length > 0 || torn) {
          await writeFully(handle, utf8Encoder.encode((torn ? "\n" : "") + lines))
          await sync.data(handle, indexPath)
        }
        return torn
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => new BronzeIoError({ operation: "append-index", location: INDEX_FILE_NAME, cause })
  })

/** Every entry of the index, read in pages (bounded memory) and handed to `onEntry`. */
export const forEachIndexEntry = (
  indexPath: string,
  onEntry: (info: ArtifactKey.ArtifactInfo) => void
): Effect.Effect<void, BronzeIoError> =>
  Effect.gen(function* () {
    let offset = 0
    let indexId: string | undefined
    while (true) {
      const page = yield* tailIndexFile(indexPath, { offset, indexId, maxEntries: 10_000 })
      for (const entry of page.entries) onEntry(entry.info)
      if (page.nextOffset === offset && !page.replaced) return
      offset = page.nextOffset
      indexId = page.indexId
    }
  })
