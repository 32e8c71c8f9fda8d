import { SilverMigrator } from "@medallion/silver"
import { Console, Effect } from "effect"
import * as App from "../App.ts"

/** What `medallion migrate` runs (its definition: ../definitions/Migrate.ts). */
export const handler = Effect.fn(function* () {
  const applied = yield* App.run((app) => SilverMigrator.run().pipe(Effect.provide(App.database(app))))
  yield* Console.log(
    applied.length === 0
      ? "the database is up to date"
      : `applied ${applied.length} migration(s): ${applied.map((m) => `${m.id}_${m.name}`).join(", ")}`
  )
})
