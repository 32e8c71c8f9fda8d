/**
 * From the configuration file to the fetch daemon as deployed: the configured sources (each its
 * plug-in's `Source`, with the plug-in's own layer), one HTTP client for all of them, transcription and
 * enrichment when enabled (API keys from the environment), and the health endpoint. What `medallion
 * fetch` and this package's `main` run; bronze is left to the caller.
 */
import { MedallionConfig } from "@medallion/workers/config"
import { SourcePlugin, type SourcePlugins } from "@medallion/workers/plugins"
import { Config, Effect, Layer } from "effect"
import type * as FetchDaemon from "./FetchDaemon.ts"
import * as FetchDeployment from "./FetchDeployment.ts"

type Settings = MedallionConfig.MedallionConfig

/** Each configured entry as its plug-in's source, with the plug-in's own services. */
const toSource =
  (config: Settings, plugins: SourcePlugins.Registry) =>
  (entry: MedallionConfig.Source): FetchDaemon.ScheduledSource<unknown> => {
    // The decoder accepted the entry with this plug-in's schema: it is there.
    const plugin = plugins.get(entry.type)!
    return {
      name: entry.name,
      every: entry.every,
      source: plugin.source(entry, { extractTimeout: config.fetch.extractTimeout }),
      layer: SourcePlugin.layerOf(plugin, entry)
    }
  }

const http = (config: Settings) => ({
  userAgent: config.http.userAgent,
  requestTimeout: config.http.timeout,
  maxBodyBytes: config.http.maxBodyBytes,
  perHostConcurrency: config.http.perHostConcurrency,
  perHostInterval: config.http.perHostInterval,
  addressPolicy: { allow: config.http.allowNetworks, setting: "http.allowNetworks" }
})

/**
 * The fetch daemon as deployed (`FetchDeployment`) with the configuration's settings and the API keys of
 * transcription and enrichment from the environment (each only when enabled), for the sources of
 * `plugins` (the registry the configuration was decoded with), with its start warnings. Needs bronze.
 */
export const layer = (config: Settings, plugins: SourcePlugins.Registry) =>
  Layer.merge(MedallionConfig.startWarningsLayer(config, "fetch"), deployment(config, plugins))

const deployment = (config: Settings, plugins: SourcePlugins.Registry) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const transcriptionKey = yield* Config.option(Config.Redacted("MEDALLION_TRANSCRIPTION_API_KEY"))
      const enrichmentKey = yield* Config.option(Config.Redacted("MEDALLION_ENRICHMENT_API_KEY"))
      return FetchDeployment.layer({
        sources: config.sources.map(toSource(config, plugins)),
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
  )
