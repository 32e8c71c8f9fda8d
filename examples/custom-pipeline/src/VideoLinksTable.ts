/**
 * The gold table `example_gold_video_links(source_type, external_id, host, links)`: per item, how many
 * links of its text point to each host. `layer` is the PostgreSQL table; `layerTest` an in-memory
 * double with the same behaviour, for users' unit tests.
 */
import type { ItemKey } from "@medallion/bronze"
import { type DatabaseError, type DatabaseUnavailable, SilverError } from "@medallion/silver"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { HostCount } from "./LinkHosts.ts"

export interface ItemLinks {
  readonly item: ItemKey
  readonly hosts: ReadonlyArray<HostCount>
}

export interface HostTotal {
  readonly host: string
  readonly links: number
  readonly items: number
}

type TableError = DatabaseError | DatabaseUnavailable

export interface VideoLinksTableShape {
  /** Replaces the rows of each item (an item with no hosts ends with none): idempotent. */
  readonly replace: (entries: ReadonlyArray<ItemLinks>) => Effect.Effect<void, TableError>
  readonly byItem: (item: ItemKey) => Effect.Effect<ReadonlyArray<HostCount>, TableError>
  /** Hosts by links across all items, most linked first. */
  readonly topHosts: (limit: number) => Effect.Effect<ReadonlyArray<HostTotal>, TableError>
}

const keyOf = (item: ItemKey) => `${item.sourceType}\u0000${item.externalId}`

const byLinks = (a: HostTotal, b: HostTotal) => b.links - a.links || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)

const makeSql = Effect.gen(function* () {
  const sql = yield* SqlClient
  const mapped = <A, R>(operation: string, effect: Effect.Effect<A, SqlError, R>) =>
    Effect.mapError(effect, SilverError.fromSqlError(operation))

  const replace = Effect.fn("VideoLinksTable.replace")(function* (entries: ReadonlyArray<ItemLinks>) {
    if (entries.length === 0) return
    const sorted = [...entries].sort((a, b) => (keyOf(a.item) < keyOf(b.item) ? -1 : 1))
    const keys = JSON.stringify(sorted.map((e) => [e.item.sourceType, e.item.externalId]))
    const rows = JSON.stringify(
      sorted.flatMap((e) => e.hosts.map((h) => [e.item.sourceType, e.item.externalId, h.host, h.links]))
    )
    yield* mapped(
      "VideoLinksTable.replace",
      sql.withTransaction(
        Effect.gen(function* () {
          // Two runs touching one item wait for each other instead of failing on the primary key.
          for (const e of sorted) {
            // (PostgreSQL text holds no NUL: the lock key joins with a space.)
            const lock = `example_gold_video_links:${e.item.sourceType} ${e.item.externalId}`
            yield* sql`select pg_advisory_xact_lock(hashtext(${lock}))`
          }
          yield* sql`delete from example_gold_video_links g
                     using jsonb_array_elements(${keys}::jsonb) as k(v)
                     where g.source_type = k.v->>0 and g.external_id = k.v->>1`
          yield* sql`insert into example_gold_video_links (source_type, external_id, host, links)
                     select r.v->>0, r.v->>1, r.v->>2, (r.v->>3)::int from jsonb_array_elements(${rows}::jsonb) as r(v)`
        })
      )
    )
  })

  const byItem = Effect.fn("VideoLinksTable.byItem")(function* (item: ItemKey) {
    return yield* mapped(
      "VideoLinksTable.byItem",
      sql<HostCount>`select host, links from example_gold_video_links
                     where source_type = ${item.sourceType} and external_id = ${item.externalId}
                     order by links desc, host`
    )
  })

  const topHosts = Effect.fn("VideoLinksTable.topHosts")(function* (limit: number) {
    return yield* mapped(
      "VideoLinksTable.topHosts",
      sql<HostTotal>`select host, sum(links)::int as links, count(*)::int as items
                     from example_gold_video_links group by host
                     order by links desc, host limit ${limit}`
    )
  })

  return { replace, byItem, topHosts } satisfies VideoLinksTableShape
})

const makeMemory = Effect.sync((): VideoLinksTableShape => {
  const rows = new Map<string, ReadonlyArray<HostCount>>()
  return {
    replace: (entries) =>
      Effect.sync(() => {
        for (const e of entries) {
          const hosts = e.hosts.filter((h) => h.links > 0)
          if (hosts.length === 0) rows.delete(keyOf(e.item))
          else rows.set(keyOf(e.item), hosts)
        }
      }),
    byItem: (item) =>
      Effect.sync(() =>
        [...(rows.get(keyOf(item)) ?? [])].sort((a, b) => b.links - a.links || (a.host < b.host ? -1 : 1))
      ),
    topHosts: (limit) =>
      Effect.sync(() => {
        const totals = new Map<string, HostTotal>()
        for (const hosts of rows.values()) {
          for (const h of hosts) {
            const t = totals.get(h.host) ?? { host: h.host, links: 0, items: 0 }
            totals.set(h.host, { host: h.host, links: t.links + h.links, items: t.items + 1 })
          }
        }
        return [...totals.values()].sort(byLinks).slice(0, limit)
      })
  }
})

export class VideoLinksTable extends Context.Service<VideoLinksTable, VideoLinksTableShape>()(
  "@medallion/example-custom-pipeline/VideoLinksTable"
) {
  /** The PostgreSQL table (created by `GoldMigrations`). */
  static readonly layer: Layer.Layer<VideoLinksTable, never, SqlClient> = Layer.effect(VideoLinksTable, makeSql)
  /** In memory, same behaviour: for unit tests. */
  static readonly layerTest: Layer.Layer<VideoLinksTable> = Layer.effect(VideoLinksTable, makeMemory)
}
