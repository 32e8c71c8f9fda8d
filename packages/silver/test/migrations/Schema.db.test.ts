/**
 * The schema as users and the rules see it, read from the live catalog. The
 * "no raw blobs" rule is checked here so it keeps holding as migrations are
 * added: a new payload-typed column fails this test.
 */
import { assert, layer } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { causeChain } from "@medallion/bronze"
import { Cause, Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as SilverError from "../../src/SilverError.ts"
import * as SilverMigrator from "../../src/SilverMigrator.ts"

/** JSON columns that hold silver's own bounded state (size-checked), never a payload. */
const ALLOWED_JSON = new Set([
  "sensor_state.cursor",
  "sensor_ticks.cursor_before",
  "sensor_ticks.cursor_after",
  "sensor_runs.item_keys",
  "sensor_runs.failures"
])

const PAYLOAD_TYPES = new Set(["bytea", "json", "jsonb", "xml", "_bytea", "_json", "_jsonb", "_xml"])
const PAYLOAD_NAME = /(^|_)(raw|html|payload|response|whisper|blob)(_|$)|_json$/

/** Columns of the public schema that could hold a raw payload, as `table.column (type)`. */
const payloadColumns = Effect.gen(function* () {
  const sql = yield* SqlClient
  const columns = yield* sql<{ tableName: string; columnName: string; udtName: string }>`
    select c.table_name, c.column_name, c.udt_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'`
  return columns
    .filter((c) => {
      const name = `${c.tableName}.${c.columnName}`
      if (PAYLOAD_TYPES.has(c.udtName)) return !ALLOWED_JSON.has(name)
      return PAYLOAD_NAME.test(c.columnName)
    })
    .map((c) => `${c.tableName}.${c.columnName} (${c.udtName})`)
    .toSorted()
})

const Migrated = Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer))

layer(Migrated)("the silver schema", (it) => {
  it.effect("has no column that can hold a raw payload (bytea, json, xml, raw_*/html/payload names)", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* payloadColumns, [])
    })
  )

  it.effect("the payload check sees a forbidden column when one appears", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      // Inside a transaction that is rolled back, so the schema stays as migrated.
      const found = yield* sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`alter table items add column raw_html text`
            yield* sql`alter table comments add column api_body bytea`
            yield* sql`alter table media add column probe jsonb`
            const found = yield* payloadColumns
            return yield* Effect.fail({ found })
          })
        )
        .pipe(Effect.flip)
      assert.deepStrictEqual("found" in found ? found.found : found, [
        "comments.api_body (bytea)",
        "items.raw_html (text)",
        "media.probe (jsonb)"
      ])
      assert.deepStrictEqual(yield* payloadColumns, [])
    })
  )

  it.effect("bounds every JSON state column by size", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const rows = yield* sql<{ definition: string }>`
        select pg_get_constraintdef(oid) as definition from pg_constraint
        where conrelid in ('sensor_state'::regclass, 'sensor_ticks'::regclass, 'sensor_runs'::regclass)
          and contype = 'c'`
      const definitions = rows.map((r) => r.definition).join("\n")
      for (const column of ALLOWED_JSON) {
        assert.include(definitions, `octet_length((${column.split(".")[1]})::text)`)
      }
    })
  )

  it.effect("indexes a STORED tsvector over body_text and finds items by their words", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const [column] = yield* sql<{ attgenerated: string }>`
        select attgenerated from pg_attribute where attrelid = 'items'::regclass and attname = 'body_tsv'`
      assert.strictEqual(column!.attgenerated, "s")
      const [index] = yield* sql<{ indexdef: string }>`
        select indexdef from pg_indexes where tablename = 'items' and indexname = 'items_body_tsv'`
      assert.include(index!.indexdef, "USING gin (body_tsv)")
      yield* sql`insert into items (source_type, external_id, language, body_text)
                 values ('feed', 'de-1', 'de', 'Die Katzen liefen über die Straßen'),
                        ('hn', 'en-1', 'en', 'Running databases on small machines'),
                        ('hn', 'xx-1', null, 'Running databases everywhere')`
      const stemmed = yield* sql<{ externalId: string }>`
        select external_id from items
        where body_tsv @@ (websearch_to_tsquery('german', 'Straße') || websearch_to_tsquery('simple', 'Straße'))`
      assert.deepStrictEqual(
        stemmed.map((r) => r.externalId),
        ["de-1"]
      )
      const english = yield* sql<{ externalId: string }>`
        select external_id from items
        where body_tsv @@ (websearch_to_tsquery('english', 'run database') || websearch_to_tsquery('simple', 'run database'))
        order by external_id`
      assert.deepStrictEqual(
        english.map((r) => r.externalId),
        ["en-1"]
      )
      yield* sql`delete from items`
    })
  )

  it.effect("constrains each status to its documented values", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const attempt = (statement: Effect.Effect<unknown, unknown>) => Effect.exit(statement)
      // Each refused by the named CHECK (SQLSTATE 23514), not by whatever else could go wrong.
      const bad: ReadonlyArray<readonly [Effect.Effect<unknown, unknown>, string]> = [
        [
          sql`insert into items (source_type, external_id, fetch_status) values ('hn', '1', 'done')`,
          "items_fetch_status"
        ],
        [
          sql`insert into items (source_type, external_id, transcription_status) values ('hn', '2', 'none')`,
          "items_transcription_status"
        ],
        [
          sql`insert into items (source_type, external_id, transform_status) values ('hn', '3', 'ok')`,
          "items_transform_status"
        ],
        // a failure without its reason
        [
          sql`insert into items (source_type, external_id, fetch_status) values ('hn', '4', 'failed')`,
          "items_fetch_error_required"
        ],
        // a reason on a state that has none
        [
          sql`insert into items (source_type, external_id, transform_status, transform_error) values ('hn', '5', 'transformed', 'x')`,
          "items_transform_error_allowed"
        ],
        // raw HTML is not extracted text
        [
          sql`insert into items (source_type, external_id, body_text) values ('hn', '6', '  <!DOCTYPE html><html></html>')`,
          "items_body_text_is_not_html"
        ],
        [sql`insert into items (source_type, external_id) values ('Not A Slug', '7')`, "items_source_type_slug"],
        [
          sql`insert into sensor_state (sensor, cursor) values ('big', ${JSON.stringify({ pad: "x".repeat(70_000) })}::jsonb)`,
          "sensor_state_cursor_size"
        ]
      ]
      for (const [statement, constraint] of bad) {
        const exit = yield* attempt(statement)
        assert.isTrue(Exit.isFailure(exit), constraint)
        if (Exit.isFailure(exit)) {
          const error = Cause.squash(exit.cause)
          assert.strictEqual(SilverError.sqlState(error), "23514", constraint)
          assert.include(causeChain(error), `"${constraint}"`)
        }
      }
      const good = yield* attempt(
        sql`insert into items (source_type, external_id, fetch_status, fetch_error, transcription_status)
            values ('hn', '8', 'failed', 'HTTP 503', 'not_applicable')`
      )
      assert.isTrue(Exit.isSuccess(good))
      yield* sql`delete from items`
    })
  )

  it.effect("stamps every insert and update with its transaction id, and refreshes updated_at on update", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const [inserted] = yield* sql<{ xid: string; txid: string; createdAt: Date }>`
        insert into items (source_type, external_id) values ('hn', 'xid-1')
        returning xid::text, pg_current_xact_id()::text as txid, created_at`
      assert.strictEqual(inserted!.xid, inserted!.txid)
      const [updated] = yield* sql<{ xid: string; createdAt: Date }>`
        update items set title = 'changed', created_at = now() - interval '1 day'
        where external_id = 'xid-1' returning xid::text, created_at`
      assert.isTrue(BigInt(updated!.xid) > BigInt(inserted!.xid))
      assert.strictEqual(updated!.createdAt.getTime(), inserted!.createdAt.getTime())
      yield* sql`delete from items`
    })
  )

  it.effect("prunes tick history per sensor and by age", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      yield* sql`insert into sensor_ticks (sensor, status, started_at, finished_at)
                 select s, 'success', timestamptz '2026-01-01' + n * interval '1 minute',
                        timestamptz '2026-01-01' + n * interval '1 minute'
                 from unnest(array['a', 'b']) s, generate_series(1, 10) n`
      const [kept] = yield* sql<{ pruned: string }>`select prune_sensor_ticks(3, null)::text as pruned`
      assert.strictEqual(kept!.pruned, "14")
      const [aged] = yield* sql<{ pruned: string }>`
        select prune_sensor_ticks(null, timestamptz '2026-01-01' + interval '10 minutes')::text as pruned`
      assert.strictEqual(aged!.pruned, "4")
      const left = yield* sql<{ sensor: string }>`select sensor from sensor_ticks order by sensor`
      assert.deepStrictEqual(
        left.map((r) => r.sensor),
        ["a", "b"]
      )
    })
  )
})
