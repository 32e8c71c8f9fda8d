/**
 * The source plugin interface: what a user implements to bring their own
 * source into bronze. A source discovers items (and stores what it discovered
 * from, e.g. a list or a feed document, as a bronze artifact) and fetches one
 * item's artifacts into bronze. It decides what to (re)fetch from what bronze
 * already holds, never from memory: see `ItemArtifacts`.
 *
 * Both effects may require `FetchHttp`, `BronzeWriter`, `BronzeReader` (in `R`)
 * but never a silver service: the fetch side writes bronze only.
 */
import { causeChain } from "@medallion/bronze"
import type { Context } from "effect"
import { Effect, Schema } from "effect"

/** One item found by `discover`, with what its fetch needs (read from the discovery artifact of this run). */
export interface DiscoveredItem {
  readonly externalId: string
  readonly hints?: Readonly<Record<string, unknown>> | undefined
}

/** What `fetchItem` did: the artifacts it wrote, or why it wrote nothing. */
export interface ItemFetchResult {
  readonly externalId: string
  readonly outcome: "fetched" | "skipped" | "failed"
  /** Locations of the artifacts written (failure records included). */
  readonly written: ReadonlyArray<string>
  readonly reason?: string | undefined
}

/** A failure that stops one discovery or one item: recorded, reported, and the batch goes on. */
export class SourceError extends Schema.TaggedError<SourceError>()("SourceError", {
  sourceType: Schema.String,
  externalId: Schema.optional(Schema.String),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export interface Source<R = never> {
  /** The bronze `sourceType` slug, e.g. `hn`. */
  readonly sourceType: string
  /** Fetches the source's lists / documents, stores them in bronze, returns the items found. */
  readonly discover: Effect.Effect<ReadonlyArray<DiscoveredItem>, SourceError, R>
  /** Fetches what this item still needs (or needs again per the refetch policy) into bronze. */
  readonly fetchItem: (item: DiscoveredItem) => Effect.Effect<ItemFetchResult, SourceError, R>
}

/** The `SourceError` for whatever stopped a discovery (`externalId` undefined) or one item. */
export const toSourceError =
  (sourceType: string, externalId?: string | undefined) =>
  (cause: unknown): SourceError =>
    new SourceError({
      sourceType,
      ...(externalId === undefined ? {} : { externalId }),
      message: causeChain(cause),
      cause
    })

/**
 * The result of one item's fetch, reporting `written`: the array the fetch
 * pushes each location to as it writes, so the result lists all of them.
 */
export const itemResult =
  (externalId: string, written: ReadonlyArray<string>) =>
  (outcome: ItemFetchResult["outcome"], reason?: string): ItemFetchResult => ({
    externalId,
    outcome,
    written,
    ...(reason === undefined ? {} : { reason })
  })

/** The source with the services of `context` provided to both of its effects (a plug-in's own layer, built once). */
export const provide = <R, XR>(source: Source<R>, context: Context.Context<XR>): Source<Exclude<R, XR>> => ({
  sourceType: source.sourceType,
  discover: Effect.provideContext(source.discover, context),
  fetchItem: (item) => Effect.provideContext(source.fetchItem(item), context)
})
