/**
 * The reconcile filter on a real database: an artifact is known when silver's provenance holds its
 * location with the same sha256; another version of the bytes, or an artifact silver never saw, is not.
 */
import { assert, describe, layer } from "@effect/vitest"
import type { ArtifactInfo } from "@medallion/bronze"
import { SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as SilverProvenance from "../src/SilverProvenance.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

const sha = (c: string) => c.repeat(64)
const artifact = (externalId: string, sha256: string): ArtifactInfo => ({
  key: { sourceType: "hn", externalId, artifactType: "item", ext: "json" },
  size: 10,
  sha256,
  writtenAt: 0,
  location: `hn/${externalId}/item.json`
})

describe("SilverProvenance.known", () => {
  layer(Database, { timeout: 60_000 })((it) => {
    it.effect("knows exactly the artifacts silver's provenance records with the same bytes", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        const [item] = yield* sql<{ id: number }>`
          insert into items (source_type, external_id) values ('hn', '1') returning id`
        yield* sql`insert into item_artifacts (item_id, artifact_type, ext, sha256, size, location)
                   values (${item!.id}, 'item', 'json', ${sha("a")}, 10, 'hn/1/item.json')`

        const known = yield* SilverProvenance.known([
          artifact("1", sha("a")), // recorded, same bytes
          artifact("2", sha("b")) // never seen by silver
        ])
        assert.deepStrictEqual([...known], ["hn/1/item.json"])

        const other = yield* SilverProvenance.known([artifact("1", sha("c"))])
        assert.deepStrictEqual([...other], [], "a different sha256 at a known location is not known")
        assert.deepStrictEqual([...(yield* SilverProvenance.known([]))], [])
      })
    )
  })
})
