import { SilverMigrator } from "@medallion/silver"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import * as App from "../App.ts"

export const migrate = Command.make(
  "migrate",
  {},
  Effect.fn(function* () {
    const applied = yield* App.run((app) => SilverMigrator.run().pipe(Effect.provide(App.database(app))))
    yield* Console.log(
      applied.length === 0
        ? "the database is up to date"
        : `applied ${applied.length} migration(s): ${applied.map((m) => `${m.id}_${m.name}`).join(", ")}`
    )
  })
).pipe(
  Command.withDescription(
    "Bring the database schema up to date (forward-only; safe to run twice or from two processes at once). The daemons migrate on start too."
  )
)
