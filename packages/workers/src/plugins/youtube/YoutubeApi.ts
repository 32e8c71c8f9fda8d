/**
 * The YouTube Data API v3's JSON -> typed records, checked at the boundary: a `videos.list` answer
 * (`youtube#videoListResponse`, its videos with the parts asked for: `snippet`, `statistics`,
 * `contentDetails`), a `commentThreads.list` page (`youtube#commentThreadListResponse`, each thread's
 * top-level comment and the replies sent with it, a `nextPageToken` while there are more), and the API's
 * error body (`{ error: { code, message, errors: [{ reason, domain }] } }`). Only the fields read are
 * declared; the rest stays in bronze as received. The `kind`s are checked, so an answer of another
 * resource (a channel list where a video list belongs) is refused, not read as empty.
 */
import { Effect, Option, Schema } from "effect"
import type { ExtractError } from "../../extract/ExtractError.ts"
import * as JsonArtifact from "../../extract/JsonArtifact.ts"

export const VideoSnippet = Schema.Struct({
  publishedAt: Schema.optional(Schema.String),
  channelId: Schema.optional(Schema.String),
  channelTitle: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Array(Schema.String)),
  defaultLanguage: Schema.optional(Schema.String),
  defaultAudioLanguage: Schema.optional(Schema.String)
})

/** Counts as the API sends them: decimal strings (64-bit), absent when the owner hides them. */
export const VideoStatistics = Schema.Struct({
  viewCount: Schema.optional(Schema.String),
  likeCount: Schema.optional(Schema.String),
  favoriteCount: Schema.optional(Schema.String),
  commentCount: Schema.optional(Schema.String)
})

export const VideoContentDetails = Schema.Struct({
  /** ISO 8601 (`PT24M17S`). */
  duration: Schema.optional(Schema.String),
  caption: Schema.optional(Schema.String),
  definition: Schema.optional(Schema.String)
})

export const Video = Schema.Struct({
  kind: Schema.Literal("youtube#video"),
  id: Schema.String,
  snippet: Schema.optional(VideoSnippet),
  statistics: Schema.optional(VideoStatistics),
  contentDetails: Schema.optional(VideoContentDetails)
})
export type Video = typeof Video.Type

export const VideoList = Schema.Struct({
  kind: Schema.Literal("youtube#videoListResponse"),
  items: Schema.Array(Video)
})
export type VideoList = typeof VideoList.Type

export const CommentSnippet = Schema.Struct({
  authorDisplayName: Schema.optional(Schema.String),
  /** The text as displayed (plain with `textFormat=plainText`, HTML otherwise). */
  textDisplay: Schema.optional(Schema.String),
  /** The text as written, when the API shows it. */
  textOriginal: Schema.optional(Schema.String),
  /** A reply's top-level comment. */
  parentId: Schema.optional(Schema.String),
  publishedAt: Schema.optional(Schema.String),
  likeCount: Schema.optional(Schema.Number)
})

export const Comment = Schema.Struct({
  kind: Schema.Literal("youtube#comment"),
  id: Schema.String,
  snippet: Schema.optional(CommentSnippet)
})
export type Comment = typeof Comment.Type

export const CommentThread = Schema.Struct({
  kind: Schema.Literal("youtube#commentThread"),
  id: Schema.String,
  snippet: Schema.Struct({
    videoId: Schema.optional(Schema.String),
    topLevelComment: Schema.optional(Comment),
    totalReplyCount: Schema.optional(Schema.Number)
  }),
  /** Some of the thread's replies (the API sends at most a few here). */
  replies: Schema.optional(Schema.Struct({ comments: Schema.Array(Comment) }))
})
export type CommentThread = typeof CommentThread.Type

export const CommentThreadList = Schema.Struct({
  kind: Schema.Literal("youtube#commentThreadListResponse"),
  nextPageToken: Schema.optional(Schema.String),
  items: Schema.Array(CommentThread)
})
export type CommentThreadList = typeof CommentThreadList.Type

export const ApiError = Schema.Struct({
  error: Schema.Struct({
    code: Schema.optional(Schema.Number),
    message: Schema.optional(Schema.String),
    errors: Schema.optional(
      Schema.Array(
        Schema.Struct({
          reason: Schema.optional(Schema.String),
          domain: Schema.optional(Schema.String),
          message: Schema.optional(Schema.String)
        })
      )
    )
  })
})
export type ApiError = typeof ApiError.Type

const decodeVideoListJson = JsonArtifact.decode(VideoList, "YouTube videos.list")
const decodeThreadsJson = JsonArtifact.decode(CommentThreadList, "YouTube commentThreads.list")
const decodeErrorText = Schema.decodeUnknownOption(Schema.fromJsonString(ApiError))

export const decodeVideoList = (bytes: Uint8Array): Effect.Effect<VideoList, ExtractError> => decodeVideoListJson(bytes)

export const decodeCommentThreads = (bytes: Uint8Array): Effect.Effect<CommentThreadList, ExtractError> =>
  decodeThreadsJson(bytes)

/** The reasons of an error body (`quotaExceeded`, `commentsDisabled`...); none when it is not one. */
export const errorReasons = (body: string | undefined): ReadonlyArray<string> =>
  body === undefined
    ? []
    : Option.match(decodeErrorText(body), {
        onNone: () => [],
        onSome: (e) => (e.error.errors ?? []).flatMap((x) => (x.reason === undefined ? [] : [x.reason]))
      })

/** Reasons that say the project's quota or rate is spent: nothing more should be asked for a while. */
export const QUOTA_REASONS: ReadonlySet<string> = new Set([
  "quotaExceeded",
  "rateLimitExceeded",
  "userRateLimitExceeded",
  "dailyLimitExceeded"
])

/** The text of a comment: as written when the API shows it, else as displayed. */
export const textOf = (comment: Comment): string | undefined => {
  const s = comment.snippet
  const original = s?.textOriginal
  return original !== undefined && original.length > 0 ? original : s?.textDisplay
}

/** Every comment of a page in thread order: each top-level comment, then the replies sent with it. */
export const comments = (
  page: CommentThreadList
): ReadonlyArray<{ readonly comment: Comment; readonly thread: CommentThread; readonly topLevel: boolean }> =>
  page.items.flatMap((thread) => [
    ...(thread.snippet.topLevelComment === undefined
      ? []
      : [{ comment: thread.snippet.topLevelComment, thread, topLevel: true }]),
    ...(thread.replies?.comments ?? []).map((comment) => ({ comment, thread, topLevel: false }))
  ])
