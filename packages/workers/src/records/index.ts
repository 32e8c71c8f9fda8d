/**
 * `@medallion/workers/records`: what the fetch side writes to bronze (artifact names, version stamps,
 * records, feed entry ids, source types, media kinds) and the pure parsers of the payloads it keeps,
 * without the sources themselves: no HTTP client, HTML extractors or feed parser in the module graph.
 * For tools that write bronze as the fetch side does (the legacy migration), which then load in a
 * fraction of the time and memory of `@medallion/workers/fetch`.
 */
export * as ChatCompletion from "../extract/ChatCompletion.ts"
export * as HnItem from "../extract/HnItem.ts"
export * as JsonArtifact from "../extract/JsonArtifact.ts"
export * as WhisperTranscript from "../extract/WhisperTranscript.ts"
export * as FeedEntryId from "../fetch/FeedEntryId.ts"
export * as ItemArtifacts from "../fetch/ItemArtifacts.ts"
export * as MediaKind from "../fetch/MediaKind.ts"
export * as SourceTypes from "../fetch/SourceTypes.ts"
