// -------------------------------------------------------------------------------------------------
// Fetch side (outside world -> bronze): writes bronze only, never imports silver or sensors.
// -------------------------------------------------------------------------------------------------
export * from "./fetch/index.ts"

// -------------------------------------------------------------------------------------------------
// Transform side (bronze -> silver): reads bronze through `BronzeReader` only, writes silver.
// -------------------------------------------------------------------------------------------------
export * as ArtifactSet from "./transform/ArtifactSet.ts"
export * as ExtractionCorpus from "./transform/ExtractionCorpus.ts"
export * as FeedTransform from "./transform/sources/feed.ts"
export * as HnTransform from "./transform/sources/hn.ts"
export * as Extraction from "./extract/Extraction.ts"
export { ExtractPool, type ExtractPoolOptions } from "./extract/ExtractPool.ts"
export { ItemDraft, type Extractor } from "./transform/ItemDraft.ts"
export type { ItemRows, TransformOutcome } from "./transform/ItemRows.ts"
export type { SourceTransform } from "./transform/SourceTransform.ts"
export * as SourceTransforms from "./transform/SourceTransforms.ts"
export * as Transform from "./transform/Transform.ts"
export * as TransformJob from "./transform/TransformJob.ts"
export * as TransformOptions from "./transform/TransformOptions.ts"
export { TRANSFORM_VERSION } from "./transform/TransformVersion.ts"
export * as WebTransform from "./transform/sources/web.ts"
