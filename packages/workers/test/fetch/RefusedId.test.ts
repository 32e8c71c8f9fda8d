/**
 * An item whose id bronze refuses (U+0000: no layer could record it) fails on its own, with the rule in
 * its reason, and the next item of the run is still fetched.
 */
import { BronzeWriter, MemoryBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import { type Source, toSourceError } from "../../src/fetch/Source.ts"

const source: Source<BronzeWriter> = {
  sourceType: "posts",
  discover: Effect.succeed([]),
  fetchItem: (item) =>
    Effect.gen(function* () {
      const writer = yield* BronzeWriter
      const key = { sourceType: "posts", externalId: item.externalId, artifactType: "post", ext: "json" }
      const put = yield* writer.put(key, new TextEncoder().encode("{}"))
      return { externalId: item.externalId, outcome: "fetched" as const, written: [put.location] }
    }).pipe(Effect.mapError(toSourceError("posts", item.externalId)))
}

describe("an id bronze refuses, on the fetch side", () => {
  it.effect("is a failed item with the rule in its reason; the next item is fetched", () =>
    Effect.gen(function* () {
      const report = yield* FetchWorker.fetchAll(source, [{ externalId: "guid\u0000with-nul" }, { externalId: "ok" }])
      assert.deepStrictEqual(
        report.results.map((r) => r.outcome),
        ["failed", "fetched"]
      )
      assert.match(
        report.results[0]!.reason ?? "",
        /invalid key: no U\+0000 \(NUL\): PostgreSQL text and jsonb cannot store it at \["externalId"\]/
      )
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
