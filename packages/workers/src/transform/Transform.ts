/**
 * bronze -> silver for one item: list its artifacts once, hand them to the transform registered for its
 * source type, and always come back with rows. Bad input is a `failed`/`partial` item with the reason;
 * a store failure is `unreadable` (nothing written, retried later); even a defect in an extractor is
 * caught and recorded on the item, so one bad file never stops a batch.
 *
 * Reads only: the requirement is `BronzeReader`, so no code path here can write bronze.
 */
import { Cause, Effect } from "effect"
import { BronzeReader, type ItemKey } from "@medallion/bronze"
import { clip, ItemDraft, unreadableRows } from "./ItemDraft.ts"
import * as ArtifactSet from "./ArtifactSet.ts"
import type { ItemRows } from "./ItemRows.ts"
import * as SourceTransforms from "./SourceTransforms.ts"
import { defaultOptions, type TransformOptions } from "./TransformOptions.ts"

/** Rows that only record why the item could not be transformed, with the fetch status bronze shows. */
const failedRows = (
  artifacts: ArtifactSet.ArtifactSet,
  options: TransformOptions,
  reason: string
): Effect.Effect<ItemRows, never, BronzeReader> =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(artifacts.names.filter((n) => n !== "fetch-error"))
      draft.mainFailure = clip(reason)
      return draft.finish()
    })
  )

export const transformItemWith =
  (
    registry: SourceTransforms.SourceTransforms = SourceTransforms.builtIn,
    options: TransformOptions = defaultOptions
  ) =>
  (item: ItemKey): Effect.Effect<ItemRows, never, BronzeReader> =>
    Effect.gen(function* () {
      const reader = yield* BronzeReader
      const listed = yield* reader.listItem(item).pipe(Effect.result)
      if (listed._tag === "Failure")
        return unreadableRows(item, `bronze could not list the item: ${listed.failure.message}`)
      if (listed.success.length === 0) {
        const none: ItemRows = {
          key: item,
          outcome: "failed",
          reason: "bronze holds no artifact for this item",
          item: undefined,
          discovered: []
        }
        return none
      }
      const artifacts = ArtifactSet.fromList(item, listed.success)
      const source = registry.get(item.sourceType)
      if (source === undefined) {
        return yield* failedRows(artifacts, options, `no transform is registered for source type "${item.sourceType}"`)
      }
      // The rows carry the source's own version, also when its transform crashed (a fix bumps it).
      const versioned: TransformOptions = { ...options, transformVersion: source.version }
      return yield* source
        .transform(artifacts, versioned)
        .pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.failCause(cause)
              : failedRows(
                  artifacts,
                  versioned,
                  `the ${item.sourceType} transform crashed: ${Cause.pretty(cause).split("\n")[0]}`
                )
          )
        )
    }).pipe(Effect.withSpan("Transform.transformItem", { attributes: { sourceType: item.sourceType } }))

/** The built-in transforms with the default limits. */
export const transformItem: (item: ItemKey) => Effect.Effect<ItemRows, never, BronzeReader> = transformItemWith()
