/**
 * The `ItemRepo` contract on PostgreSQL (the double runs it in `ItemRepoMemory.test.ts`).
 */
import { layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { ItemRepo } from "../../src/ItemRepo.ts"
import { SilverDatabase } from "../../src/SilverDatabase.ts"
import * as SilverMigrator from "../../src/SilverMigrator.ts"
import { contract } from "./ItemRepoContract.ts"

const Repo = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

// updated_at is the database's clock: a few real milliseconds apart is enough to see a rewrite.
const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

layer(Repo, { timeout: 60_000 })("ItemRepo on PostgreSQL", (it) => {
  contract((name, body) => it.effect(name, body), realPause)
})
