/**
 * `medallion purge` and `medallion unpurge`: an item removed from bronze and silver for good, audited
 * in `purge_log`, tombstoned in bronze (see `ItemPurge`), and the tombstone lifted again on purpose.
 */
import {
  type BronzeIoError,
  type BronzePurge,
  type BronzeReader,
  type BronzeTombstones,
  FileSystemBronze,
  type ItemKey,
  Tombstones
} from "@medallion/bronze"
import { ItemPurge, SilverMigrator } from "@medallion/silver"
import { Clock, Console, Effect, Layer, Option } from "effect"
import * as App from "../App.ts"
import { Refused } from "../ExitCode.ts"
import * as Progress from "../Progress.ts"

const s3Refused = Layer.effectContext(
  Effect.fail(new Refused({ message: "purge and unpurge support the filesystem store only (bronze.store is s3)" }))
)

/** Deleting needs the filesystem store; S3 purge is not supported yet, and says so before touching anything. */
const bronzeWriting = (
  app: App.App
): Layer.Layer<BronzeReader | BronzeTombstones | BronzePurge, Refused | BronzeIoError> =>
  app.config.bronze.store === "s3"
    ? s3Refused
    : FileSystemBronze.layerWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery })

/** A dry run reads only: not even the root's probe file is written. */
const bronzeReading = (app: App.App): Layer.Layer<BronzeReader | BronzeTombstones, Refused> =>
  app.config.bronze.store === "s3"
    ? s3Refused
    : FileSystemBronze.layerReaderWith({ root: app.bronzeRoot, catalog: app.config.bronze.discovery })

const withDatabase = (app: App.App) => Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()), App.database(app))

const itemsOf = (sourceType: Option.Option<string>, externalIds: ReadonlyArray<string>) =>
  Option.isSome(sourceType) && externalIds.length > 0
    ? externalIds.map((externalId): ItemKey => ({ sourceType: sourceType.value, externalId }))
    : undefined

const named = (item: ItemKey) => `${item.sourceType}/${item.externalId}`

/** What `medallion purge` runs (its definition: ../definitions/Purge.ts). */
export const purgeHandler = Effect.fn(function* ({
  source,
  ids,
  match,
  olderThan,
  reason,
  by,
  dryRun,
  allowRefetch
}: {
  readonly source: Option.Option<string>
  readonly ids: ReadonlyArray<string>
  readonly match: Option.Option<string>
  readonly olderThan: Option.Option<number>
  readonly reason: string
  readonly by: string
  readonly dryRun: boolean
  readonly allowRefetch: boolean
}) {
  if (reason.trim().length === 0) return yield* new Refused({ message: "--reason must say why" })
  if (ids.length > 0 && Option.isNone(source)) return yield* new Refused({ message: "--id needs --source" })
  if (Option.isSome(match) && Option.isNone(source)) return yield* new Refused({ message: "--match needs --source" })
  if (ids.length > 0 && (Option.isSome(match) || Option.isSome(olderThan)))
    return yield* new Refused({ message: "--id selects items by id: leave out --match and --older-than" })
  if (ids.length === 0 && Option.isNone(match) && Option.isNone(olderThan))
    return yield* new Refused({
      message: "say what to purge: --source S --id ID, --source S --match GLOB, or --older-than D"
    })
  const selection: ItemPurge.Selection = {
    items: itemsOf(source, ids),
    sourceType: Option.getOrUndefined(source),
    pattern: Option.getOrUndefined(match),
    olderThanMs: Option.getOrUndefined(olderThan)
  }
  yield* App.run((app) =>
    dryRun
      ? Effect.gen(function* () {
          const planned = yield* ItemPurge.plan(selection)
          for (const p of planned) {
            const bytes = p.artifacts.reduce((sum, a) => sum + a.size, 0)
            yield* Console.log(
              `would purge ${named(p.item)}: ${p.artifacts.length} artifact(s), ${bytes} bytes${p.inSilver ? ", its silver rows" : ""}`
            )
          }
          const open = yield* ItemPurge.unfinished()
          if (open.length > 0) yield* Console.log(`would first complete ${open.length} unfinished purge(s)`)
          yield* Console.log(`dry run: ${planned.length} item(s) would be purged; nothing changed`)
        }).pipe(Effect.provide(Layer.merge(bronzeReading(app), withDatabase(app))))
      : Effect.gen(function* () {
          const planned = yield* ItemPurge.plan(selection)
          // The run completes the unfinished purges first, then the planned items not among them.
          const open = new Set((yield* ItemPurge.unfinished()).map((u) => Tombstones.itemId(u.item)))
          const total = open.size + planned.filter((p) => !open.has(Tombstones.itemId(p.item))).length
          const progress = Progress.make({ label: "purge", unit: "items" })
          const started = yield* Clock.currentTimeMillis
          let count = 0
          const done = yield* ItemPurge.run(planned, { by, reason, allowRefetch }, (d) =>
            Effect.gen(function* () {
              yield* Console.log(
                `purged ${named(d.item)}${d.resumed ? " (completing an unfinished purge)" : ""}: ${d.artifacts.length} artifact(s), ` +
                  `${d.silverRows.items} item row(s), ${d.silverRows.comments} comment(s), ${d.silverRows.segments} segment(s) [audit ${d.id}]`
              )
              count++
              const now = yield* Clock.currentTimeMillis
              yield* progress.update({ done: count, total, elapsedMs: now - started })
            })
          ).pipe(Effect.ensuring(progress.stop))
          yield* Console.log(
            `purge: ${done.length} item(s) purged${allowRefetch ? " (refetch allowed)" : ", tombstoned in bronze"}`
          )
        }).pipe(Effect.provide(Layer.merge(bronzeWriting(app), withDatabase(app))))
  )
})

/** What `medallion unpurge` runs (its definition: ../definitions/Purge.ts). */
export const unpurgeHandler = Effect.fn(function* ({
  source,
  ids,
  reason,
  by
}: {
  readonly source: Option.Option<string>
  readonly ids: ReadonlyArray<string>
  readonly reason: string
  readonly by: string
}) {
  if (reason.trim().length === 0) return yield* new Refused({ message: "--reason must say why" })
  const items = itemsOf(source, ids)
  if (items === undefined) return yield* new Refused({ message: "say which items: --source S --id ID" })
  yield* App.run((app) =>
    Effect.gen(function* () {
      const lifted = yield* ItemPurge.unpurge(items, { by, reason })
      for (const item of lifted) yield* Console.log(`tombstone lifted: ${named(item)} may be fetched again`)
      yield* Console.log(`unpurge: ${lifted.length} of ${items.length} item(s) had a tombstone`)
    }).pipe(Effect.provide(Layer.merge(bronzeWriting(app), withDatabase(app))))
  )
})
