import { ItemRepo } from "@medallion/silver"
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { NotFound } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"

export const show = Command.make(
  "show",
  {
    sourceType: Argument.String("source").pipe(Argument.withDescription("Source type, e.g. hn")),
    externalId: Argument.String("id").pipe(Argument.withDescription("The item's external id"))
  },
  Effect.fn(function* ({ sourceType, externalId }) {
    yield* Operations.run(() =>
      Effect.gen(function* () {
        const repo = yield* ItemRepo
        const detail = yield* repo.get({ sourceType, externalId })
        if (Option.isNone(detail))
          return yield* new NotFound({ message: `no item ${sourceType}/${externalId} in silver` })
        yield* Console.log(JSON.stringify(detail.value, null, 2))
      })
    )
  })
).pipe(
  Command.withDescription(
    "Print one silver item with its statuses, provenance, comments, transcript segments and enrichments (JSON)"
  )
)
