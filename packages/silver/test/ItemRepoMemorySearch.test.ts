import { Effect, Layer } from "effect"
import { ItemRepo } from "../src/ItemRepo.ts"
import * as Corpus from "./search/SearchCorpus.ts"
import { searchContract } from "./search/SearchContract.ts"

// The double matches whole words without stemming: a hit is right only when the page has the word itself.
searchContract(
  "ItemRepo.layerTest search",
  Layer.fresh(ItemRepo.layerTest),
  Effect.succeed({ searchable: () => true, allowed: (page: Corpus.Page, word: string) => Corpus.contains(page, word) })
)
