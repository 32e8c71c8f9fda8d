/**
 * Keys of the raw store and their mapping to relative locations
 * `{source_type}/{external_id segment}/{artifact_type}.{ext}`.
 *
 * A location is a `/`-separated relative path that is also a valid object key, so the same value
 * serves a filesystem store and an S3-shaped one.
 */
import { createHash } from "node:crypto"
import { Option, Schema } from "effect"

export const SourceTypePattern = /^[a-z][a-z0-9_-]{0,39}$/

/** A short slug naming where items come from, e.g. `hn`, `rss`, `web`. */
export const SourceType = Schema.String.check(Schema.isPattern(SourceTypePattern)).annotate({
  identifier: "SourceType",
  description: "a lowercase slug: /^[a-z][a-z0-9_-]{0,39}$/"
})
export type SourceType = typeof SourceType.Type

/** Longest accepted external id, in UTF-16 code units. */
export const MAX_EXTERNAL_ID_LENGTH = 8192

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Any id a folder of the store can stand for: non-empty, well-formed Unicode (a lone surrogate has no
 * UTF-8 form, so two of them could not be kept apart on disk), up to 8 KB. The catalog reports every
 * artifact whose folder decodes to such an id, also ids the writer now refuses (a folder written by an
 * older version or by another process), so that a consumer sees them and can quarantine them.
 */
export const StoredExternalId = Schema.String.check(
  Schema.isNonEmpty(),
  Schema.isMaxLength(MAX_EXTERNAL_ID_LENGTH),
  Schema.makeFilter(
    (s: string) =>
      !LONE_SURROGATE.test(s) || "a well-formed Unicode string: no lone surrogates (they have no UTF-8 form)"
  )
).annotate({ identifier: "StoredExternalId" })

/**
 * An id from outside, as the writer accepts it: a {@link StoredExternalId} without U+0000. NUL is refused
 * because no layer could record it: PostgreSQL's `text` and `jsonb` refuse it, so an item with it could
 * never reach silver, nor even be named in a run record.
 */
export const ExternalId = StoredExternalId.check(
  Schema.makeFilter(
    (s: string) => !s.includes("\u0000") || "no U+0000 (NUL): PostgreSQL text and jsonb cannot store it"
  )
).annotate({ identifier: "ExternalId" })
export type ExternalId = typeof ExternalId.Type

/** A slug with an optional version stamp for refetched artifacts, e.g. `comments@2026-11-27T05-00-00Z`. */
export const ArtifactType = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z0-9_-]{0,63}(@[0-9A-Za-z_.-]{1,64})?$/)
).annotate({ identifier: "ArtifactType" })
export type ArtifactType = typeof ArtifactType.Type

/** A file extension without the dot. */
export const Extension = Schema.String.check(Schema.isPattern(/^[a-z0-9]{1,12}$/)).annotate({
  identifier: "Extension"
})
export type Extension = typeof Extension.Type

export const ItemKey = Schema.Struct({
  sourceType: SourceType,
  externalId: ExternalId
}).annotate({ identifier: "ItemKey" })
export type ItemKey = typeof ItemKey.Type

export const ArtifactKey = Schema.Struct({
  sourceType: SourceType,
  externalId: ExternalId,
  artifactType: ArtifactType,
  ext: Extension
}).annotate({ identifier: "ArtifactKey" })
export type ArtifactKey = typeof ArtifactKey.Type

export const Sha256Hex = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)).annotate({ identifier: "Sha256Hex" })

export const ArtifactInfo = Schema.Struct({
  key: ArtifactKey,
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  sha256: Sha256Hex,
  /** Epoch milliseconds from the writer's Clock; the filesystem store also stamps it as the file's mtime. */
  writtenAt: Schema.Number,
  /** Relative path or object key, `/`-separated. */
  location: Schema.String
}).annotate({ identifier: "ArtifactInfo" })
export type ArtifactInfo = typeof ArtifactInfo.Type

export const PutOutcome = Schema.Literals(["written", "unchanged"])
export type PutOutcome = typeof PutOutcome.Type

export type PutResult = ArtifactInfo & { readonly outcome: PutOutcome }

// ---------------------------------------------------------------------------------------------
// External id <-> one path segment
// ---------------------------------------------------------------------------------------------

/** Ids kept readable as-is: portable characters, no leading or trailing dot, short. */
const READABLE = /^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/
const MAX_READABLE_LENGTH = 120
/** Longest escaped segment before falling back to a hash (255 bytes is the usual name limit). */
const MAX_ESCAPED_LENGTH = 200
/** Characters an escaped segment keeps literally; everything else becomes `%XX` of its UTF-8 bytes. */
const UNRESERVED = /^[A-Za-z0-9_-]$/
const ESCAPED_PREFIX = "~"
const HASHED_PREFIX = "~~"
const HEX = "0123456789ABCDEF"

/**
 * Encodes an external id into one path segment.
 *
 * - readable ids (`8863`, `dQw4w9WgXcQ`, `example.com`) are used as-is;
 * - any other id becomes `~` followed by its UTF-8 bytes, `[A-Za-z0-9_-]` kept and every other byte
 *   written `%XX` (uppercase hex), so the segment holds no `/`, `\`, `.`, NUL or `%2e`-style ambiguity;
 * - an id whose escaped form is longer than 200 bytes becomes `~~` + sha256 hex of its UTF-8 bytes; the
 *   store keeps the original id in an item record so it stays recoverable.
 *
 * The three forms cannot overlap: readable ids never start with `~`, and an escaped body never starts
 * with `~` (it is escaped), so the mapping is injective.
 */
export const encodeExternalId = (id: string): string => {
  if (id.length <= MAX_READABLE_LENGTH && READABLE.test(id)) return id
  const escaped = escapeId(id)
  if (escaped !== undefined) return ESCAPED_PREFIX + escaped
  return HASHED_PREFIX + hashId(id)
}

const escapeId = (id: string): string | undefined => {
  let out = ""
  for (const char of id) {
    if (UNRESERVED.test(char)) {
      out += char
    } else {
      for (const byte of textEncoder.encode(char)) out += "%" + HEX[byte >> 4] + HEX[byte & 15]
    }
    if (out.length > MAX_ESCAPED_LENGTH) return undefined
  }
  return out
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder("utf-8", { fatal: true })

/** sha256 (hex) of the id's UTF-8 bytes: the segment of an id too long to escape. */
export const hashId = (id: string): string => createHash("sha256").update(id, "utf8").digest("hex")

/** What a segment says about its id: the id itself, or only its hash (look up the item record). */
export type DecodedSegment =
  { readonly _tag: "Id"; readonly externalId: string } | { readonly _tag: "Hashed"; readonly hash: string }

/**
 * Decodes a segment produced by {@link encodeExternalId}. Only the canonical form is accepted, so a
 * foreign directory name (`%2e`, lowercase hex, a stray file) never aliases a real id.
 */
export const decodeSegment = (segment: string): Option.Option<DecodedSegment> => {
  if (segment.startsWith(HASHED_PREFIX)) {
    const hash = segment.slice(HASHED_PREFIX.length)
    return /^[0-9a-f]{64}$/.test(hash) ? Option.some({ _tag: "Hashed", hash }) : Option.none()
  }
  if (segment.startsWith(ESCAPED_PREFIX)) {
    const body = segment.slice(ESCAPED_PREFIX.length)
    if (body.length === 0 || !/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(body)) return Option.none()
    const bytes: Array<number> = []
    for (let i = 0; i < body.length;) {
      if (body[i] === "%") {
        bytes.push(parseInt(body.slice(i + 1, i + 3), 16))
        i += 3
      } else {
        bytes.push(body.charCodeAt(i))
        i += 1
      }
    }
    let id: string
    try {
      id = textDecoder.decode(new Uint8Array(bytes))
    } catch {
      return Option.none()
    }
    return encodeExternalId(id) === segment ? Option.some({ _tag: "Id", externalId: id }) : Option.none()
  }
  return segment.length <= MAX_READABLE_LENGTH && READABLE.test(segment)
    ? Option.some({ _tag: "Id", externalId: segment })
    : Option.none()
}

/** True when the segment stands for an id too long to escape (its item keeps an id record). */
export const isHashedSegment = (segment: string): boolean => segment.startsWith(HASHED_PREFIX)

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

/** File name of an artifact inside its item folder. */
export const fileName = (key: Pick<ArtifactKey, "artifactType" | "ext">): string => `${key.artifactType}.${key.ext}`

/** `{sourceType}/{segment}`: the item's folder or key prefix. */
export const itemLocation = (item: ItemKey): string => `${item.sourceType}/${encodeExternalId(item.externalId)}`

/** `{sourceType}/{segment}/{artifactType}.{ext}`: the artifact's relative path or object key. */
export const location = (key: ArtifactKey): string => `${itemLocation(key)}/${fileName(key)}`

/** Name of the record that keeps the original id of an item whose segment is hashed. */
export const ITEM_RECORD_NAME = "_item.json"

const isSourceType = Schema.is(SourceType)
const isArtifactType = Schema.is(ArtifactType)
const isExtension = Schema.is(Extension)

/** Splits an artifact file name into its type and extension; `None` for anything else (temp files, records). */
export const parseFileName = (
  name: string
): Option.Option<{ readonly artifactType: ArtifactType; readonly ext: Extension }> => {
  const dot = name.lastIndexOf(".")
  if (dot <= 0) return Option.none()
  const artifactType = name.slice(0, dot)
  const ext = name.slice(dot + 1)
  return isArtifactType(artifactType) && isExtension(ext) ? Option.some({ artifactType, ext }) : Option.none()
}

/** The parts of a location; the id may still be a hash to resolve through the item record. */
export interface ParsedLocation {
  readonly sourceType: SourceType
  readonly segment: string
  readonly decoded: DecodedSegment
  readonly artifactType: ArtifactType
  readonly ext: Extension
}

export const parseLocation = (loc: string): Option.Option<ParsedLocation> => {
  const parts = loc.split("/")
  if (parts.length !== 3) return Option.none()
  const [sourceType, segment, name] = parts as [string, string, string]
  if (!isSourceType(sourceType)) return Option.none()
  return Option.flatMap(decodeSegment(segment), (decoded) =>
    Option.map(parseFileName(name), ({ artifactType, ext }) => ({ sourceType, segment, decoded, artifactType, ext }))
  )
}
