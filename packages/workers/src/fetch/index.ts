/**
 * `@medallion/workers/fetch`: the fetch side (outside world -> bronze) and the
 * pure extractors it shares with the transform. Nothing reachable from here
 * imports silver or sensors, so a fetch daemon built on this entry point has no
 * database in its graph (a dependency-cruiser rule checks it).
 */
export * as AddressPolicy from "../http/AddressPolicy.ts"
export { FetchError, FetchFailureReason, isRetryable } from "../http/FetchError.ts"
export { RobotsTxt } from "../http/RobotsTxt.ts"
export {
  FetchHttp,
  defaultOptions as fetchHttpDefaults,
  parseRetryAfter,
  testClient,
  testDefaults,
  type FetchHead,
  type FetchHttpOptions,
  type FetchRequest,
  type FetchResponse,
  type FetchStream,
  type TestRequest,
  type TestResponse,
  type TestRoutes
} from "../http/FetchHttp.ts"

export * as Declined from "./Declined.ts"
export * as DiscoveryFailures from "./DiscoveryFailures.ts"
export { Enricher, type EnricherOptions, type EnricherTestAnswer } from "./Enricher.ts"
export * as FeedEntryId from "./FeedEntryId.ts"
export * as FeedSource from "./FeedSource.ts"
export {
  FetchActivity,
  type FetchActivitySnapshot,
  type MediaAttempt,
  type SourceActivity,
  type SourceRun,
  type Upkeep
} from "./FetchActivity.ts"
export * as FetchWorker from "./FetchWorker.ts"
export * as Selection from "./Selection.ts"
export * as Shard from "./Shard.ts"
export * as HackerNewsSource from "./HackerNewsSource.ts"
export * as ItemArtifacts from "./ItemArtifacts.ts"
export { SourceError, type DiscoveredItem, type ItemFetchResult, type Source } from "./Source.ts"
export * as Sources from "./Source.ts"
export * as SpendLedger from "./SpendLedger.ts"
export { Transcriber, type TranscriberOptions, type TranscriberTestAnswer } from "./Transcriber.ts"
export * as WebSource from "./WebSource.ts"

// Pure extractors (bytes -> typed records), shared by the fetch side (enrichment) and the transform.
export * as ChatCompletion from "../extract/ChatCompletion.ts"
export * as Charset from "../extract/Charset.ts"
export { ExtractError, ExtractFailureKind } from "../extract/ExtractError.ts"
export { ExtractPool, type ExtractPoolOptions } from "../extract/ExtractPool.ts"
export * as FeedDocument from "../extract/FeedDocument.ts"
export * as HnItem from "../extract/HnItem.ts"
export * as HtmlArticle from "../extract/HtmlArticle.ts"
export * as HtmlText from "../extract/HtmlText.ts"
export * as Instant from "../extract/Instant.ts"
export * as JsonArtifact from "../extract/JsonArtifact.ts"
export * as Language from "../extract/Language.ts"
export * as Sitemap from "../extract/Sitemap.ts"
export * as WhisperTranscript from "../extract/WhisperTranscript.ts"
// What the fetch daemon serves to its operators (the ops barrel also holds the transform side's status).
export * as HealthServer from "../ops/HealthServer.ts"
export { StatusPageAssetsMissing } from "../ops/StatusPage.ts"
