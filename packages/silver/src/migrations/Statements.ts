/**
 * A migration is an ordered list of SQL statements. The PostgreSQL client
 * speaks the extended protocol, which takes one statement per query, so a
 * migration runs its statements one by one (inside the migrator's transaction).
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export type Migration = Effect.Effect<void, unknown, SqlClient>

export const statements = (...sql: ReadonlyArray<string>): Migration =>
  Effect.gen(function* () {
    const client = yield* SqlClient
    for (const statement of sql) yield* client.unsafe(statement)
  })
