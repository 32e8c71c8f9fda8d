/**
 * Rows read back from SQL are decoded with Schema: a row of another shape than the query expects fails
 * the read with an error naming the operation and the column, in the module's own error channel, rather
 * than flowing on as a wrong value.
 */
import { assert, describe, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Cause, Effect, Exit, Layer } from "effect"
import { isSqlError } from "effect/sql/SqlError"
import { SqlClient } from "effect/sql/SqlClient"
import * as ItemPurge from "../src/ItemPurge.ts"
import * as SilverMigrator from "../src/SilverMigrator.ts"

const Database = SilverMigrator.layer.pipe(Layer.provideMerge(TestDatabase.layer))

describe("a row that does not decode", () => {
  layer(Database, { timeout: 60_000 })((it) => {
    it.effect("fails the read with the query and the column, not a wrong value", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient
        // A started purge whose artifacts are not the list of { location, size, sha256 } it must be.
        yield* sql`insert into purge_log (action, state, source_type, external_id, requested_by, reason, artifacts)
                   values ('purge', 'started', 'hn', '1', 'test', 'takedown', '{"location": 1}'::jsonb)`
        const exit = yield* Effect.exit(ItemPurge.unfinished())
        assert.isTrue(Exit.isFailure(exit))
        // The module's own error channel: the driver's SqlError, as every other failure of the query.
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        assert.isTrue(isSqlError(error), `not a SqlError: ${String(error)}`)
        const message = Exit.isFailure(exit) ? String(exit.cause) : ""
        assert.include(message, "ItemPurge.unfinished")
        assert.include(message, "a row read back does not decode")
        assert.include(message, "artifacts")
      })
    )
  })
})
