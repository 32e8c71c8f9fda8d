/**
 * The example's own gold tables, migrated through its own migrations table
 * (`example_gold_migrations`), apart from silver's sequence: silver's releases never collide with
 * the user's migration ids. Forward-only: a released migration never changes.
 */
import { Migrations, SilverMigrator } from "@medallion/silver"
import { Effect, Layer } from "effect"

export const TABLE = "example_gold_migrations"

export const migrations: Readonly<Record<string, Migrations.Migration>> = {
  "0001_video_links": Migrations.statements(
    `create table example_gold_video_links (
       source_type text not null,
       external_id text not null,
       host text not null,
       links integer not null constraint example_gold_video_links_links check (links > 0),
       updated_at timestamptz not null default now(),
       primary key (source_type, external_id, host)
     )`,
    `create index example_gold_video_links_host on example_gold_video_links (host)`
  )
}

/** Silver's migrations, then the example's: the gold tables read silver's. */
export const run = Effect.gen(function* () {
  yield* SilverMigrator.run()
  return yield* SilverMigrator.run({ migrations, table: TABLE })
}).pipe(Effect.withSpan("GoldMigrations.run"))

export const layer = Layer.effectDiscard(run)
