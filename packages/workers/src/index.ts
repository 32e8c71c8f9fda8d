// -------------------------------------------------------------------------------------------------
// Fetch side (outside world -> bronze): writes bronze only, never imports silver or sensors.
// -------------------------------------------------------------------------------------------------
export * as AddressPolicy from "./http/AddressPolicy.ts"
export { FetchError, FetchFailureReason, isRetryable } from "./http/FetchError.ts"
export { RobotsTxt } from "./http/RobotsTxt.ts"
export {
  FetchHttp,
  defaultOptions as fetchHttpDefaults,
  parseRetryAfter,
  type FetchHead,
  type FetchHttpOptions,
  type FetchRequest,
  type FetchResponse,
  type FetchStream,
  type TestResponse
} from "./http/FetchHttp.ts"

export { Enricher, type EnricherOptions } from "./fetch/Enricher.ts"
export * as FeedSource from "./fetch/FeedSource.ts"
export * as FetchWorker from "./fetch/FetchWorker.ts"
export * as HackerNewsSource from "./fetch/HackerNewsSource.ts"
export * as ItemArtifacts from "./fetch/ItemArtifacts.ts"
export { SourceError, type DiscoveredItem, type ItemFetchResult, type Source } from "./fetch/Source.ts"
export * as SpendLedger from "./fetch/SpendLedger.ts"
export { Transcriber, type TranscriberOptions } from "./fetch/Transcriber.ts"
export * as WebSource from "./fetch/WebSource.ts"

// Pure extractors (bytes -> typed records), shared by the fetch side (enrichment) and the transform.
export * as ChatCompletion from "./extract/ChatCompletion.ts"
export * as Charset from "./extract/Charset.ts"
export { ExtractError, ExtractFailureKind } from "./extract/ExtractError.ts"
export * as FeedDocument from "./extract/FeedDocument.ts"
export * as HnItem from "./extract/HnItem.ts"
export * as HtmlArticle from "./extract/HtmlArticle.ts"
export * as JsonArtifact from "./extract/JsonArtifact.ts"
export * as Sitemap from "./extract/Sitemap.ts"
export * as WhisperTranscript from "./extract/WhisperTranscript.ts"

// -------------------------------------------------------------------------------------------------
// Transform side (bronze -> silver): reads bronze through `BronzeReader` only, writes silver.
// -------------------------------------------------------------------------------------------------
export * as ArtifactSet from "./transform/ArtifactSet.ts"
export * as FeedTransform from "./transform/sources/feed.ts"
export * as HnTransform from "./transform/sources/hn.ts"
export { ItemDraft } from "./transform/ItemDraft.ts"
export type { ItemRows, TransformOutcome } from "./transform/ItemRows.ts"
export type { SourceTransform } from "./transform/SourceTransform.ts"
export * as SourceTransforms from "./transform/SourceTransforms.ts"
export * as Transform from "./transform/Transform.ts"
export * as TransformJob from "./transform/TransformJob.ts"
export * as TransformOptions from "./transform/TransformOptions.ts"
export { TRANSFORM_VERSION } from "./transform/TransformVersion.ts"
export * as WebTransform from "./transform/sources/web.ts"
