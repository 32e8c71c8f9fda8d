/**
 * The part of a YouTube Data API v3 `videos.list` response the example reads. Only the fields it uses
 * are declared; anything else in the body is accepted and left in bronze as received.
 */
import { Schema } from "effect"

export const Snippet = Schema.Struct({
  publishedAt: Schema.optional(Schema.String),
  channelId: Schema.optional(Schema.String),
  channelTitle: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  defaultLanguage: Schema.optional(Schema.String),
  defaultAudioLanguage: Schema.optional(Schema.String)
})

export const Video = Schema.Struct({
  id: Schema.String,
  snippet: Schema.optional(Snippet)
})
export type Video = typeof Video.Type

/** `{ "kind": "youtube#videoListResponse", "items": [...] }`. */
export const VideoList = Schema.Struct({
  items: Schema.Array(Video)
})
export type VideoList = typeof VideoList.Type

/** The page a person opens for a video. */
export const watchUrl = (id: string): string => `https://www.youtube.com/watch?v=${encodeURIComponent(id)}`
