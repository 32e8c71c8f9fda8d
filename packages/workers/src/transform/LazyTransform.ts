/**
 * A transform whose code is imported when its first item is transformed. Its source type and version
 * are known up front, so a registry of lazy transforms serves the configuration's decoder, `status` and
 * `backfill --stale` without loading an HTML or feed parser; the daemons load it on their first item.
 */
import { Effect } from "effect"
import type { SourceTransform } from "./SourceTransform.ts"

export const make = (sourceType: string, version: number, load: () => Promise<SourceTransform>): SourceTransform => {
  let loaded: Promise<SourceTransform> | undefined
  const transform = Effect.promise(
    () =>
      (loaded ??= load().then((t) => {
        // The registry has already handed out `version`: the code must be the one it announced.
        if (t.sourceType !== sourceType || t.version !== version)
          throw new Error(
            `the transform loaded for "${sourceType}" version ${version} is "${t.sourceType}" version ${t.version}`
          )
        return t
      }))
  )
  return {
    sourceType,
    version,
    transform: (artifacts, options) => Effect.flatMap(transform, (t) => t.transform(artifacts, options))
  }
}
