import { ItemRepo } from "@medallion/silver"
import { Console, Effect, Option } from "effect"
import * as Operations from "../Operations.ts"

/** What `medallion search` runs (its definition: ../definitions/Search.ts). */
export const handler = Effect.fn(function* ({
  json,
  language,
  limit,
  offset,
  source,
  text
}: {
  readonly json: boolean
  readonly language: Option.Option<string>
  readonly limit: number
  readonly offset: number
  readonly source: Option.Option<string>
  readonly text: string
}) {
  yield* Operations.run(() =>
    Effect.gen(function* () {
      const hits = yield* (yield* ItemRepo).search({
        text,
        limit,
        offset,
        language: Option.getOrUndefined(language),
        sourceType: Option.getOrUndefined(source)
      })
      if (json) return yield* Console.log(JSON.stringify({ hits, offset, limit }, null, 2))
      if (hits.length === 0) return yield* Console.log(offset === 0 ? "no match" : "no more matches")
      for (const hit of hits) {
        yield* Console.log(
          `${hit.sourceType}/${hit.externalId}  ${hit.title ?? "(untitled)"}${hit.language ? `  [${hit.language}]` : ""}\n  ${hit.snippet}`
        )
      }
      if (hits.length === limit) yield* Console.log(`more: --offset ${offset + limit}`)
    })
  )
})
