/**
 * From the configuration file to the fetch daemon's layer: the configured
 * sources (each its plug-in's `Source`, with the plug-in's own layer), one HTTP client for all of them, transcription and enrichment when
 * enabled (API keys from the environment), and bronze on the filesystem.
 */
import { FetchDaemon } from "@medallion/fetch-daemon"
import { Enricher, FetchHttp, RobotsTxt, Transcriber } from "@medallion/workers/fetch"
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
      layer: plugin.layer
    }
  }

const http = (config: MedallionConfig) =>
  FetchHttp.layer({
    userAgent: config.http.userAgent,
    requestTimeout: config.http.timeout,
    maxBodyBytes: config.http.maxBodyBytes,
    perHostConcurrency: config.http.perHostConcurrency,
    perHostInterval: config.http.perHostInterval,
    addressPolicy: { allow: config.http.allowNetworks, setting: "http.allowNetworks" }
  })

/** Transcriber and Enricher, each only when enabled; the daemon looks them up optionally. */
const transcriber = (config: MedallionConfig) =>
  config.transcription.enabled
    ? Layer.unwrap(
        Effect.map(Config.option(Config.Redacted("MEDALLION_TRANSCRIPTION_API_KEY")), (apiKey) =>
          Transcriber.layer({
            endpoint: config.transcription.endpoint,
            model: config.transcription.model,
            apiKey,
            maxItemsPerDay: config.transcription.maxItemsPerDay,
            maxMinutesPerDay: config.transcription.maxMinutesPerDay
          })
        )
      )
    : Layer.empty

const enricher = (config: MedallionConfig) =>
  config.enrichment.enabled
    ? Layer.unwrap(
        Effect.map(Config.option(Config.Redacted("MEDALLION_ENRICHMENT_API_KEY")), (apiKey) =>
          Enricher.layer({
            enabled: true,
            endpoint: config.enrichment.endpoint,
            model: config.enrichment.model,
            apiKey,
            maxItemsPerDay: config.enrichment.maxItemsPerDay,
            extractTimeout: config.fetch.extractTimeout
          })
        )
      )
    : Layer.empty

export const layer = (app: App.App) => {
  const base = Layer.mergeAll(RobotsTxt.layer(), App.bronze(app)).pipe(Layer.provideMerge(http(app.config)))
  return FetchDaemon.layer({
    sources: app.config.sources.map(toSource(app)),
    concurrency: app.config.http.perHostConcurrency * 2,
    shard: app.config.fetch.shard,
    reconcileEvery: app.config.bronze.reconcileEvery,
    extractThreads: app.config.fetch.extractThreads
  }).pipe(Layer.provide(Layer.mergeAll(transcriber(app.config), enricher(app.config))), Layer.provideMerge(base))
}
