/**
 * From the configuration file to the fetch daemon's layer: the configured
 * sources (each its plug-in's `Source`, with the plug-in's own layer), one HTTP client for all of them, transcription and enrichment when
 * enabled (API keys from the environment), and bronze on the filesystem.
 */
import { type FetchDaemon, FetchDeployment } from "@medallion/fetch-daemon"
import { SourcePlugin } from "@medallion/workers/plugins"
import { Config, Effect, Layer } from "effect"
import * as App from "./App.ts"
import type { MedallionConfig, Source } from "./MedallionConfig.ts"

/** Each configured entry as its plug-in's source, with the plug-in's own services. */
const toSource =
  (app: App.App) =>
  (entry: Source): FetchDaemon.ScheduledSource<unknown> => {
    // The decoder accepted the entry with this plug-in's schema: it is there.
    const plugin = App.plugins(app).get(entry.type)!
    return {
      name: entry.name,
      every: entry.every,
      source: plugin.source(entry, { extractTimeout: app.config.fetch.extractTimeout }),
      layer: SourcePlugin.layerOf(plugin, entry)
    }
  }

const http = (config: MedallionConfig) => ({
  userAgent: config.http.userAgent,
  requestTimeout: config.http.timeout,
  maxBodyBytes: config.http.maxBodyBytes,
  perHostConcurrency: config.http.perHostConcurrency,
  perHostInterval: config.http.perHostInterval,
  addressPolicy: { allow: config.http.allowNetworks, setting: "http.allowNetworks" }
})

/**
 * The fetch daemon as deployed (`FetchDeployment`) with the configuration's settings, the API keys of
 * transcription and enrichment from the environment (each only when enabled), and bronze.
 */
export const layer = (app: App.App) => {
  const config = app.config
  return Layer.unwrap(
    Effect.gen(function* () {
      const transcriptionKey = yield* Config.option(Config.Redacted("MEDALLION_TRANSCRIPTION_API_KEY"))
      const enrichmentKey = yield* Config.option(Config.Redacted("MEDALLION_ENRICHMENT_API_KEY"))
      return FetchDeployment.layer({
        sources: config.sources.map(toSource(app)),
        concurrency: config.http.perHostConcurrency * 2,
        shard: config.fetch.shard,
        reconcileEvery: config.bronze.reconcileEvery,
        extractThreads: config.fetch.extractThreads,
        http: http(config),
        transcription: config.transcription.enabled
          ? {
              endpoint: config.transcription.endpoint,
              model: config.transcription.model,
              apiKey: transcriptionKey,
              maxItemsPerDay: config.transcription.maxItemsPerDay,
              maxMinutesPerDay: config.transcription.maxMinutesPerDay
            }
          : undefined,
        enrichment: config.enrichment.enabled
          ? {
              enabled: true,
              endpoint: config.enrichment.endpoint,
              model: config.enrichment.model,
              apiKey: enrichmentKey,
              maxItemsPerDay: config.enrichment.maxItemsPerDay,
              extractTimeout: config.fetch.extractTimeout
            }
          : undefined,
        health: { host: config.metrics.host, port: config.metrics.fetchPort }
      })
    })
  ).pipe(Layer.provideMerge(App.bronze(app)))
}
