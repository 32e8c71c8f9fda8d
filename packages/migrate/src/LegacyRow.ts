/**
 * One row of a mapped legacy table, as the reader hands it on: its key, the normalized values the
 * mapping names (times as epoch milliseconds), and its raw values as bytes, in the order of the
 * mapping's `artifacts`.
 */
/** A raw value read as its digest only (what `verify` needs of a value it does not look into). */
export interface Digest {
  readonly _tag: "Digest"
  readonly sha256: string
  readonly size: number
}

/** A raw value: its bytes, its digest, or none (NULL). */
export type RawValue = Uint8Array | Digest | null

export const isDigest = (value: RawValue): value is Digest =>
  value !== null && !(value instanceof Uint8Array) && value._tag === "Digest"

export interface LegacyRow {
  /** The key columns' values, as text. */
  readonly key: ReadonlyArray<string>
  readonly externalId: string | null
  readonly fetchedAt: number | null
  readonly updatedAt: number | null
  readonly url: string | null
  readonly fetchStatus: string | null
  readonly fetchReason: string | null
  readonly transcriptionStatus: string | null
  readonly transcriptionReason: string | null
  /**
   * Per `artifacts[i]`: the value's bytes (text in UTF-8, JSON as the server prints it, bytea as stored),
   * or only their digest when the reader was asked for digests and the value needs no looking into.
   */
  readonly raw: ReadonlyArray<RawValue>
  /** Per `artifacts[i]`: its `contentType` column's value. */
  readonly contentTypes: ReadonlyArray<string | null>
  /** The entry record's columns (feed): text, or epoch milliseconds for a time column. */
  readonly entry: Readonly<Record<string, string | number | null>>
  /** The sum of the raw values' sizes, from the catalog scan before the values are read. */
  readonly bytes: number
  /** Over the row size limit: its values were not read. */
  readonly tooLarge: boolean
}

/** `{ id: "42" }`: the key as reports and records show it. */
export const keyObject = (columns: ReadonlyArray<string>, key: ReadonlyArray<string>): Record<string, string> =>
  Object.fromEntries(columns.map((c, i) => [c, key[i] ?? ""]))

/** `id=42` / `(a, b)=(1, x)`. */
export const describeKey = (columns: ReadonlyArray<string>, key: ReadonlyArray<string>): string =>
  columns.length === 1 ? `${columns[0]}=${key[0]}` : `(${columns.join(", ")})=(${key.join(", ")})`
