import { ItemRepo } from "@medallion/silver"
import { Console, Effect, Option } from "effect"
import { NotFound } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"

/** What `medallion show` runs (its definition: ../definitions/Show.ts). */
export const handler = Effect.fn(function* ({
  sourceType,
  externalId
}: {
  readonly sourceType: string
  readonly externalId: string
}) {
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
