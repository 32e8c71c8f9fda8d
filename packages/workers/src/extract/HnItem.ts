/**
 * Hacker News Firebase API items -> typed records. The API answers `null` for
 * an id that does not exist, marks removed items `deleted: true` (no author,
 * no text) and killed ones `dead: true`; all three are states, not errors.
 */
import { Effect, Schema } from "effect"
import type { ExtractError } from "./ExtractError.ts"
import * as JsonArtifact from "./JsonArtifact.ts"

export const HnItemType = Schema.Literals(["job", "story", "comment", "poll", "pollopt"])

export const RawItem = Schema.Struct({
  id: Schema.Number,
  type: Schema.optional(HnItemType),
  by: Schema.optional(Schema.String),
  time: Schema.optional(Schema.Number),
  text: Schema.optional(Schema.String),
  dead: Schema.optional(Schema.Boolean),
  deleted: Schema.optional(Schema.Boolean),
  parent: Schema.optional(Schema.Number),
  poll: Schema.optional(Schema.Number),
  kids: Schema.optional(Schema.Array(Schema.Number)),
  url: Schema.optional(Schema.String),
  score: Schema.optional(Schema.Number),
  title: Schema.optional(Schema.String),
  parts: Schema.optional(Schema.Array(Schema.Number)),
  descendants: Schema.optional(Schema.Number)
})
export type RawItem = typeof RawItem.Type

export type ItemState = "live" | "dead" | "deleted"

export interface HnItem {
  readonly id: number
  readonly type: typeof HnItemType.Type | undefined
  readonly state: ItemState
  readonly by: string | undefined
  /** Seconds since the epoch, as the API gives it. */
  readonly time: number | undefined
  readonly title: string | undefined
  readonly url: string | undefined
  /** HTML, as the API gives it. */
  readonly text: string | undefined
  readonly score: number | undefined
  readonly parent: number | undefined
  readonly kids: ReadonlyArray<number>
  readonly descendants: number | undefined
}

export interface HnComment {
  readonly id: number
  readonly parent: number | undefined
  readonly state: ItemState
  readonly by: string | undefined
  readonly time: number | undefined
  readonly text: string | undefined
  /** 1 for a direct reply to the story. */
  readonly depth: number
}

const stateOf = (raw: RawItem): ItemState => (raw.deleted === true ? "deleted" : raw.dead === true ? "dead" : "live")

export const fromRaw = (raw: RawItem): HnItem => ({
  id: raw.id,
  type: raw.type,
  state: stateOf(raw),
  by: raw.by,
  time: raw.time,
  title: raw.title,
  url: raw.url,
  // A killed comment's text is the placeholder "[dead]": not content.
  text: raw.dead === true && raw.text === "[dead]" ? undefined : raw.text === "" ? undefined : raw.text,
  score: raw.score,
  parent: raw.parent,
  kids: raw.kids ?? [],
  descendants: raw.descendants
})

const decodeItemOrNull = JsonArtifact.decode(Schema.NullOr(RawItem), "HN item")
const decodeTree = JsonArtifact.decode(Schema.Array(Schema.NullOr(RawItem)), "HN comment tree")
const decodeIds = JsonArtifact.decode(Schema.Array(Schema.Number), "HN id list")

/** One `item/<id>.json` body; `undefined` when the API answered `null` (no such item). */
export const parseItem = (bytes: Uint8Array): Effect.Effect<HnItem | undefined, ExtractError> =>
  Effect.map(decodeItemOrNull(bytes), (raw) => (raw === null ? undefined : fromRaw(raw)))

/** A list endpoint body (`topstories.json`, ...): item ids. */
export const parseIds = (bytes: Uint8Array): Effect.Effect<ReadonlyArray<number>, ExtractError> => decodeIds(bytes)

/**
 * A `comments@<stamp>.json` artifact (one JSON array of the raw comment
 * items, as fetched) -> comments with their depth under `storyId`, in tree order.
 */
export const parseCommentTree = (
  bytes: Uint8Array,
  storyId: number
): Effect.Effect<ReadonlyArray<HnComment>, ExtractError> =>
  Effect.map(decodeTree(bytes), (raws) => {
    const items = raws.filter((r): r is RawItem => r !== null)
    const byParent = new Map<number, Array<RawItem>>()
    for (const item of items) {
      const key = item.parent ?? -1
      const list = byParent.get(key) ?? []
      list.push(item)
      byParent.set(key, list)
    }
    const out: Array<HnComment> = []
    const seen = new Set<number>()
    const walk = (parent: number, depth: number) => {
      for (const item of byParent.get(parent) ?? []) {
        if (seen.has(item.id)) continue
        seen.add(item.id)
        const record = fromRaw(item)
        out.push({
          id: item.id,
          parent: item.parent,
          state: record.state,
          by: record.by,
          time: record.time,
          text: record.text,
          depth
        })
        walk(item.id, depth + 1)
      }
    }
    walk(storyId, 1)
    // Comments whose parent was not fetched still count: keep them, at depth 0.
    for (const item of items) {
      if (seen.has(item.id)) continue
      const record = fromRaw(item)
      out.push({
        id: item.id,
        parent: item.parent,
        state: record.state,
        by: record.by,
        time: record.time,
        text: record.text,
        depth: 0
      })
    }
    return out
  })
