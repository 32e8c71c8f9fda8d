/**
 * `medallion retention`: the old versions of refetched artifacts removed by the configuration's
 * policies (see `ItemRetention`), audited in `purge_log` like a purge; `--dry-run` lists them.
 */
import {
  type BronzeIoError,
  type BronzePurge,
  type BronzeReader,
  type BronzeTombstones,
  FileSystemBronze
} from "@medallion/bronze"
import { ItemRetention, SilverMigrator } from "@medallion/silver"
import { TransformConfig } from "@medallion/transform-daemon"
import { Clock, Console, Effect, Layer, Option } from "effect"
import * as App from "../App.ts"
import { Refused } from "../ExitCode.ts"
import * as Progress from "../Progress.ts"

/** Deleting needs the filesystem store, as a purge does; on S3 it is refused before anything is read. */
const s3Refused = Layer.effectContext(
  Effect.fail(new Refused({ message: "retention supports the filesystem store only (bronze.store is s3)" }))
)

const withDatabase = (app: App.App) => Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()), App.database(app))

const fileNames = (locations: ReadonlyArray<{ readonly location: string }>) =>
  locations.map((a) => a.location.slice(a.location.lastIndexOf("/") + 1)).join(", ")

/** What `medallion retention` runs (its definition: ../definitions/Retention.ts). */
export const handler = Effect.fn(function* ({
  source,
  by,
  dryRun
}: {
  readonly source: Option.Option<string>
  readonly by: string
  readonly dryRun: boolean
}) {
  yield* App.run((app) =>
    Effect.gen(function* () {
      const all = TransformConfig.policies(app.config)
      const chosen = Option.isSome(source) ? all.filter((p) => p.sourceType === source.value) : all
      if (chosen.length === 0)
        return yield* new Refused({
          message: Option.isSome(source)
            ? `no retention policy for source ${source.value} (retention.sources.${source.value} in the configuration)`
            : 'no retention policy in the configuration: add retention.sources, e.g. { "hn": { "keepVersions": 3 } }'
        })
      const root = { root: app.bronzeRoot, catalog: app.config.bronze.discovery }
      if (dryRun) {
        const bronze: Layer.Layer<BronzeReader | BronzeTombstones, Refused> =
          app.config.bronze.store === "s3" ? s3Refused : FileSystemBronze.layerReaderWith(root)
        return yield* Effect.gen(function* () {
          let versions = 0
          for (const p of chosen) {
            yield* Console.log(`${p.sourceType}: ${p.reason}`)
            for (const planned of yield* ItemRetention.plan(p.sourceType, p.policy)) {
              const bytes = planned.artifacts.reduce((sum, a) => sum + a.size, 0)
              versions += planned.artifacts.length
              yield* Console.log(
                `would remove ${planned.item.sourceType}/${planned.item.externalId}: ${planned.artifacts.length} version(s), ${bytes} bytes (${fileNames(planned.artifacts)})`
              )
            }
          }
          const open = yield* ItemRetention.unfinished()
          if (open.length > 0) yield* Console.log(`would first complete ${open.length} unfinished retention(s)`)
          yield* Console.log(`dry run: ${versions} version(s) would be removed; nothing changed`)
        }).pipe(Effect.provide(Layer.merge(bronze, withDatabase(app))))
      }
      const bronze: Layer.Layer<BronzeReader | BronzeTombstones | BronzePurge, Refused | BronzeIoError> =
        app.config.bronze.store === "s3" ? s3Refused : FileSystemBronze.layerWith(root)
      // Each source's plan is made as its pass starts, so the total is not known ahead: counts and rate only.
      const progress = Progress.make({ label: "retention", unit: "items" })
      const started = yield* Clock.currentTimeMillis
      let count = 0
      const reports = yield* ItemRetention.runSources(chosen, by, (d) =>
        Effect.gen(function* () {
          yield* Console.log(
            `removed ${d.artifacts.length} version(s) of ${d.item.sourceType}/${d.item.externalId}${d.resumed ? " (completing an unfinished pass)" : ""}: ${fileNames(d.artifacts)} [audit ${d.id}]`
          )
          count++
          const now = yield* Clock.currentTimeMillis
          yield* progress.update({ done: count, total: undefined, elapsedMs: now - started })
        })
      ).pipe(
        Effect.tap(() =>
          count === 0
            ? Effect.void
            : Effect.flatMap(Clock.currentTimeMillis, (now) =>
                progress.update({ done: count, total: count, elapsedMs: now - started })
              )
        ),
        Effect.provide(Layer.merge(bronze, withDatabase(app))),
        Effect.ensuring(progress.stop)
      )
      const removed = reports.reduce((n, r) => n + r.done.reduce((m, d) => m + d.artifacts.length, 0), 0)
      const failed = reports.filter((r) => r.error !== undefined || r.failed.length > 0)
      yield* Console.log(`retention: ${removed} version(s) removed from ${reports.length} source(s)`)
      if (failed.length > 0)
        return yield* new Refused({
          message: `retention failed for ${failed
            .map((r) => `${r.sourceType} (${r.error ?? `${r.failed.length} item(s)`})`)
            .join(", ")}: see the warnings above`
        })
    })
  )
})
