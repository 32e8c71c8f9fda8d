/**
 * Reddit's public JSON (`/r/<name>/new.json`, `/comments/<id>.json`, `/api/morechildren.json`) -> typed
 * records, checked at the boundary: a listing of things (`t3` posts, `t1` comments, `more` stubs of
 * comments not sent), a thread (the post's listing, then its comment tree, each comment's `replies` a
 * listing or `""`), and a morechildren answer (`{ json: { errors, data: { things } } }`, flat). A thing
 * of another kind (a subreddit, `t5`) is accepted and ignored; a known kind of the wrong shape is not.
 */
import { Effect, Schema } from "effect"
import { ExtractError } from "../../extract/ExtractError.ts"
import * as JsonArtifact from "../../extract/JsonArtifact.ts"

/** A post (`t3`). `selftext` is the markdown of a text post, `""` for a link post. */
export const RawPost = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  author: Schema.optional(Schema.String),
  created_utc: Schema.optional(Schema.Number),
  url: Schema.optional(Schema.NullOr(Schema.String)),
  permalink: Schema.optional(Schema.String),
  selftext: Schema.optional(Schema.String),
  subreddit: Schema.optional(Schema.String),
  subreddit_name_prefixed: Schema.optional(Schema.String),
  num_comments: Schema.optional(Schema.Number)
})
export type RawPost = typeof RawPost.Type

/** Comments the tree names but did not send (`children`); none when it says "continue this thread". */
export const RawMore = Schema.Struct({
  id: Schema.String,
  parent_id: Schema.String,
  count: Schema.optional(Schema.Number),
  children: Schema.Array(Schema.String)
})
export type RawMore = typeof RawMore.Type

export interface RawComment {
  readonly id: string
  readonly parent_id: string
  readonly author?: string | undefined
  readonly body?: string | undefined
  readonly created_utc?: number | undefined
  readonly replies?: "" | Listing | undefined
}

export type Thing =
  | { readonly kind: "t1"; readonly data: RawComment }
  | { readonly kind: "t3"; readonly data: RawPost }
  | { readonly kind: "more"; readonly data: RawMore }
  | { readonly kind: string; readonly data?: unknown }

export interface Listing {
  readonly kind: "Listing"
  readonly data: { readonly after?: string | null | undefined; readonly children: ReadonlyArray<Thing> }
}

const KNOWN = new Set(["t1", "t3", "more"])

const OtherThing = Schema.Struct({
  kind: Schema.String.check(
    Schema.makeFilter((kind: string) => !KNOWN.has(kind), { expected: "a thing of another kind than t1, t3, more" })
  ),
  data: Schema.optional(Schema.Unknown)
})

const RawCommentSchema: Schema.Codec<RawComment> = Schema.Struct({
  id: Schema.String,
  parent_id: Schema.String,
  author: Schema.optional(Schema.String),
  body: Schema.optional(Schema.String),
  created_utc: Schema.optional(Schema.Number),
  replies: Schema.optional(
    Schema.Union([Schema.Literal(""), Schema.suspend((): Schema.Codec<Listing> => ListingSchema)])
  )
})

const ThingSchema: Schema.Codec<Thing> = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("t1"), data: RawCommentSchema }),
  Schema.Struct({ kind: Schema.Literal("t3"), data: RawPost }),
  Schema.Struct({ kind: Schema.Literal("more"), data: RawMore }),
  OtherThing
])

export const ListingSchema: Schema.Codec<Listing> = Schema.Struct({
  kind: Schema.Literal("Listing"),
  data: Schema.Struct({
    after: Schema.optional(Schema.NullOr(Schema.String)),
    children: Schema.Array(ThingSchema)
  })
})

const MoreChildrenSchema = Schema.Struct({
  json: Schema.Struct({
    errors: Schema.Array(Schema.Unknown),
    data: Schema.optional(Schema.Struct({ things: Schema.Array(ThingSchema) }))
  })
})

export interface Thread {
  readonly post: RawPost
  readonly comments: Listing
}

const decodeListingJson = JsonArtifact.decode(ListingSchema, "Reddit listing")
const decodeThreadJson = JsonArtifact.decode(Schema.Tuple([ListingSchema, ListingSchema]), "Reddit thread")
const decodeMoreJson = JsonArtifact.decode(MoreChildrenSchema, "Reddit morechildren")

/** A listing (a subreddit's posts). */
export const decodeListing = (bytes: Uint8Array): Effect.Effect<Listing, ExtractError> => decodeListingJson(bytes)

/** The post ids (base 36, as in `t3_<id>`) of a listing, in its order. */
export const postIds = (listing: Listing): ReadonlyArray<string> =>
  listing.data.children.flatMap((thing) => (thing.kind === "t3" ? [(thing.data as RawPost).id] : []))

/** A thread: its first listing must hold the post, exactly one `t3`. */
export const decodeThread = (bytes: Uint8Array): Effect.Effect<Thread, ExtractError> =>
  Effect.flatMap(decodeThreadJson(bytes), ([posts, comments]) => {
    const found = posts.data.children.filter((thing) => thing.kind === "t3")
    return found.length === 1
      ? Effect.succeed({ post: found[0]!.data as RawPost, comments })
      : Effect.fail(
          new ExtractError({
            kind: "schema-mismatch",
            reason: `Reddit thread: its first listing holds ${found.length} posts (t3), not 1`
          })
        )
  })

/** A morechildren answer's things; an answer that reports errors (a rate limit, a bad id) is refused with them. */
export const decodeMoreChildren = (bytes: Uint8Array): Effect.Effect<ReadonlyArray<Thing>, ExtractError> =>
  Effect.flatMap(decodeMoreJson(bytes), ({ json }) =>
    json.errors.length > 0
      ? Effect.fail(
          new ExtractError({
            kind: "schema-mismatch",
            reason: `Reddit morechildren: the API reported errors: ${JSON.stringify(json.errors).slice(0, 500)}`
          })
        )
      : Effect.succeed(json.data?.things ?? [])
  )

/** Every comment of a tree of things, depth first in the tree's order (a reply after its parent). */
export const comments = (things: ReadonlyArray<Thing>): ReadonlyArray<RawComment> => {
  const out: Array<RawComment> = []
  const walk = (list: ReadonlyArray<Thing>) => {
    for (const thing of list) {
      if (thing.kind !== "t1") continue
      const comment = thing.data as RawComment
      out.push(comment)
      if (comment.replies !== undefined && comment.replies !== "") walk(comment.replies.data.children)
    }
  }
  walk(things)
  return out
}

/** Every `more` stub of a tree of things, at any depth. */
export const moreStubs = (things: ReadonlyArray<Thing>): ReadonlyArray<RawMore> => {
  const out: Array<RawMore> = []
  const walk = (list: ReadonlyArray<Thing>) => {
    for (const thing of list) {
      if (thing.kind === "more") out.push(thing.data as RawMore)
      else if (thing.kind === "t1") {
        const replies = (thing.data as RawComment).replies
        if (replies !== undefined && replies !== "") walk(replies.data.children)
      }
    }
  }
  walk(things)
  return out
}

/** `abc` for `t1_abc` / `t3_abc`. */
export const idOf = (fullname: string): string => fullname.replace(/^t[0-9]_/, "")
