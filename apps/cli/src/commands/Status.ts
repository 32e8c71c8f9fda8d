import type { QueueReport } from "@medallion/queue"
import { StatusReport } from "@medallion/sensors"
import { ItemRepo, SilverMigrator } from "@medallion/silver"
import { BRONZE_SENSOR } from "@medallion/transform-daemon/names"
import { Console, Duration, Effect, Layer } from "effect"
import { SourcePlugins } from "@medallion/workers/plugins"
import * as App from "../App.ts"
import * as StatusWords from "../StatusWords.ts"

const line = (label: string, counts: Readonly<Record<string, number>>) =>
  `${label.padEnd(22)}${
    Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ") || "none"
  }`

/** The queue's code is imported in queue mode only (its worker library is large to load). */
const queueReport = (maxAttempts: number) =>
  Effect.flatMap(
    Effect.promise(() => import("@medallion/queue")),
    ({ QueueReport }) => QueueReport.make(maxAttempts)
  )

const renderQueue = (queue: QueueReport.QueueReport | null): Array<string> => {
  if (queue === null) return ["queue                 not set up yet (no transform daemon has started)"]
  const { dead, running, queued, workers } = queue.stats
  return [
    `queue                 ${queued} queued, ${running} running, ${dead} dead; ${workers} worker pool(s) alive`,
    ...queue.dead.map(
      (job) => `  dead     ${job.runKey} after ${job.attempts} attempt(s): ${job.lastError ?? "no reason recorded"}`
    )
  ]
}

/**
 * The configured source a discovery folder belongs to (`feed/_feed:<url>`, `web/_sitemap:<url>`,
 * `hn/_lists`), so a failed discovery names the source as the configuration does.
 */
const sourceNames = (app: App.App) => {
  const names = new Map<string, Array<string>>()
  const add = (key: string, name: string) => names.set(key, [...(names.get(key) ?? []), name])
  const plugins = App.plugins(app)
  for (const source of app.config.sources) {
    for (const id of plugins.get(source.type)?.discoveries?.(source) ?? []) add(`${source.type}/${id}`, source.name)
  }
  return (item: { readonly sourceType: string; readonly externalId: string }) =>
    names.get(`${item.sourceType}/${item.externalId}`)?.join(", ")
}

/** Items of a source type no plug-in of the configuration transforms: they cannot move until one does. */
const untransformed = (report: StatusReport.StatusReport, app: App.App): ReadonlyArray<string> => {
  const plugins = App.plugins(app)
  const counts = new Map<string, number>()
  for (const c of report.counts)
    if (!SourcePlugins.transformable(plugins, c.sourceType))
      counts.set(c.sourceType, (counts.get(c.sourceType) ?? 0) + c.count)
  return Array.from(
    counts,
    ([sourceType, count]) =>
      `${count} item(s) of source type "${sourceType}" have no transform in this configuration: name its plug-in in "plugins" (until then a transform records them as failed)`
  )
}

/** The report with the configured source's name on each failed discovery folder. */
const withSourceNames = (report: StatusReport.StatusReport, app: App.App) => {
  const nameOf = sourceNames(app)
  return {
    ...report,
    warnings: [...report.warnings, ...untransformed(report, app)],
    failures: {
      ...report.failures,
      items: report.failures.items.map((item) => {
        const source = nameOf(item)
        return source === undefined ? item : { ...item, source }
      })
    }
  }
}

type Report = ReturnType<typeof withSourceNames>

/** What purges and retention removed, from their audit trail, in words. */
const removals = (rows: Report["removals"]): string => {
  const words = rows
    .filter((r) => r.items > 0 || r.unfinished > 0)
    .map((r) => {
      const what =
        r.action === "retention"
          ? `retention removed ${r.artifacts} old version(s) of ${r.items} item(s)`
          : r.action === "purge"
            ? `purge removed ${r.items} item(s) (${r.artifacts} artifact(s))`
            : `unpurge lifted ${r.items} tombstone(s)`
      const last = r.lastAt === null ? "" : `, last ${r.lastAt}`
      return `${what}${last}${r.unfinished > 0 ? `, ${r.unfinished} stopped midway` : ""}`
    })
  return `removed               ${words.join("; ") || "nothing (no purge or retention has removed anything)"}`
}

const render = (report: Report): string => {
  const out: Array<string> = [...StatusWords.layers(report), ""]
  const { fetch, transcription, transform } = report.failures
  out.push(`failed                fetch ${fetch}, transcription ${transcription}, transform ${transform}`)
  for (const item of report.failures.items) {
    const source = "source" in item ? ` (source ${item.source})` : ""
    out.push(
      `  ${item.stage.padEnd(14)} ${item.sourceType}/${item.externalId}${source} ${item.updatedAt}: ${item.reason ?? "no reason recorded"}`
    )
  }
  out.push(...StatusWords.retryHints(report))
  out.push(removals(report.removals))
  for (const sensor of report.sensors) {
    out.push("")
    out.push(
      `sensor ${sensor.name}${sensor.paused ? " (paused)" : ""}${sensor.owner ? `, owned by ${sensor.owner}` : ""}`
    )
    out.push(`  cursor   ${JSON.stringify(sensor.cursor)}`)
    out.push(line("  runs", sensor.runs))
    for (const tick of sensor.recentTicks) {
      out.push(
        `  tick     ${tick.startedAt} ${tick.status.padEnd(8)} ${String(tick.runCount).padStart(3)} run(s) ${tick.durationMs ?? "-"} ms${tick.reason ? `  ${tick.reason}` : ""}`
      )
    }
    for (const run of sensor.failedRuns) {
      out.push(`  failed   ${run.runKey} (${run.items} item(s)): ${run.error ?? "no reason recorded"}`)
    }
  }
  for (const warning of report.warnings) out.push(`warning: ${warning}`)
  return out.join("\n")
}

/** What `medallion status` runs (its definition: ../definitions/Status.ts). */
export const handler = Effect.fn(function* ({ json }: { readonly json: boolean }) {
  yield* App.run((app) =>
    // A fresh database gets its schema first, so the report shows zeros rather than an error.
    SilverMigrator.run()
      .pipe(
        Effect.andThen(
          StatusReport.make({
            bronzeSensor: BRONZE_SENSOR,
            catalog: app.config.bronze.discovery,
            launcher: app.config.runs.launcher,
            store: app.config.bronze.store,
            tickBudgetMs: 0.8 * Duration.toMillis(app.config.sensors.tickTimeout)
          })
        )
      )
      .pipe(
        Effect.map((report) => withSourceNames(report, app)),
        Effect.flatMap((report) =>
          app.config.runs.launcher === "queue"
            ? Effect.flatMap(queueReport(app.config.runs.maxAttempts), (queue) =>
                Console.log(
                  json
                    ? JSON.stringify({ ...report, queue }, null, 2)
                    : [render(report), "", ...renderQueue(queue)].join("\n")
                )
              )
            : Console.log(json ? JSON.stringify(report, null, 2) : render(report))
        ),
        Effect.provide(
          Layer.mergeAll(ItemRepo.layer, App.bronzeReader(app)).pipe(Layer.provideMerge(App.database(app)))
        )
      )
  )
})
