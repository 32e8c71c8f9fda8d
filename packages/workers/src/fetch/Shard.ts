/**
 * A share of a source's items, for fetch daemons that split one source between them: shard `index` of
 * `count` owns the items whose `(sourceType, externalId)` hashes to `index - 1` modulo `count`. The hash
 * is stable across processes and machines, so every daemon agrees on the split without talking to the
 * others, and every item belongs to exactly one shard.
 */
import { createHash } from "node:crypto"
import { Schema, SchemaTransformation } from "effect"

export interface Shard {
  /** 1-based: `1` to `count`. */
  readonly index: number
  readonly count: number
}

/** `"2/3"`, decoded to the second of three shards (as the config file and flags write it). */
export const ShardFromString = Schema.String.check(
  Schema.makeFilter(
    (text: string) => {
      const m = /^([1-9]\d{0,3})\/([1-9]\d{0,3})$/.exec(text)
      return m !== null && Number(m[1]) <= Number(m[2])
    },
    { expected: 'a shard such as "1/2" (this daemon\'s share, 1-based, of the number of fetch daemons)' }
  )
).pipe(
  Schema.decodeTo(
    Schema.Struct({ index: Schema.Int, count: Schema.Int }),
    SchemaTransformation.transform({
      decode: (text: string): Shard => {
        const [index, count] = text.split("/").map(Number) as [number, number]
        return { index, count }
      },
      encode: (shard: Shard) => `${shard.index}/${shard.count}`
    })
  )
)

/** The 0-based shard an item belongs to among `count`. */
export const of = (count: number, sourceType: string, externalId: string): number =>
  createHash("sha256").update(sourceType).update("\u0000").update(externalId).digest().readUInt32BE(0) % count

export const owns = (shard: Shard, sourceType: string, externalId: string): boolean =>
  of(shard.count, sourceType, externalId) === shard.index - 1
