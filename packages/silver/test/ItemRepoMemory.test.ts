import { it } from "@effect/vitest"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { ItemRepo } from "../src/ItemRepo.ts"
import { contract } from "./contract/ItemRepoContract.ts"

contract(
  (name, body) => it.effect(`ItemRepo.layerTest: ${name}`, () => Effect.provide(body(), ItemRepo.layerTest)),
  TestClock.adjust("1 minute")
)

it.effect("each ItemRepo.layerTest build starts empty", () =>
  Effect.gen(function* () {
    const repo = yield* ItemRepo
    assert.deepStrictEqual(yield* repo.countByStatus(), [])
  }).pipe(Effect.provide(ItemRepo.layerTest))
)
