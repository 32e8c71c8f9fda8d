/**
 * A source whose code is imported when it first discovers or fetches: a plug-in's entry is decoded and
 * listed (`status`, `backfill`) without loading the source's HTTP fetching, feed parsing or extraction.
 */
import { Effect } from "effect"
import { type Source, toSourceError } from "./Source.ts"

export const make = <R>(sourceType: string, load: () => Promise<Source<R>>): Source<R> => {
  let loaded: Promise<Source<R>> | undefined
  const source = Effect.tryPromise({ try: () => (loaded ??= load()), catch: toSourceError(sourceType) })
  return {
    sourceType,
    discover: Effect.flatMap(source, (s) => s.discover),
    fetchItem: (item) => Effect.flatMap(source, (s) => s.fetchItem(item))
  }
}
