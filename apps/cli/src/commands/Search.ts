import { ItemRepo } from "@medallion/silver"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import * as Operations from "../Operations.ts"

export const search = Command.make(
  "search",
  {
    text: Argument.String("query").pipe(Argument.withDescription("Words to look for in titles and body text")),
    limit: Flag.Int("limit").pipe(Flag.withDescription("How many hits"), Flag.withDefault(10))
  },
  Effect.fn(function* ({ text, limit }) {
    yield* Operations.run(() =>
      Effect.gen(function* () {
        const hits = yield* (yield* ItemRepo).search({ text, limit })
        if (hits.length === 0) yield* Console.log("no match")
        for (const hit of hits) {
          yield* Console.log(`${hit.sourceType}/${hit.externalId}  ${hit.title ?? "(untitled)"}\n  ${hit.snippet}`)
        }
      })
    )
  })
).pipe(Command.withDescription("Full-text search over silver (titles and body_text)"))
