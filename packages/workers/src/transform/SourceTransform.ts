/**
 * A per-source transform: from one item's bronze artifacts to its silver rows. One exists per source
 * type (`hn`, `feed`, `web` are built in); a user adds their own by putting a `SourceTransform` for
 * their source type into the registry they give `transformItemWith` / `TransformJob.make`:
 *
 * ```ts
 * const podcasts: SourceTransform = {
 *   sourceType: "mypodcast",
 *   version: 1,
 *   transform: (artifacts, options) =>
 *     ItemDraft.run(artifacts, options, (draft) =>
 *       Effect.gen(function* () {
 *         yield* draft.deriveFetchStatus(["episode"])
 *         draft.fields.bodyText = yield* draft.deriveTranscript()
 *         return draft.finish()
 *       }))
 * }
 * const registry = SourceTransforms.extend(SourceTransforms.builtIn, [podcasts])
 * ```
 *
 * The contract: never fail (bad input is a `failed`/`partial` outcome with the reason, a store failure
 * is `unreadable`), require `BronzeReader` only, and give the same rows for the same bytes.
 */
import type { Effect } from "effect"
import type { BronzeReader } from "@medallion/bronze"
import type { ArtifactSet } from "./ArtifactSet.ts"
import type { ItemRows } from "./ItemRows.ts"
import type { TransformOptions } from "./TransformOptions.ts"

export interface SourceTransform {
  readonly sourceType: string
  /** The version of its rows (see `TransformVersion.ts` for when to bump it). */
  readonly version: number
  readonly transform: (
    artifacts: ArtifactSet,
    options: TransformOptions
  ) => Effect.Effect<ItemRows, never, BronzeReader>
}
