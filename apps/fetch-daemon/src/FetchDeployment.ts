/**
 * The fetch daemon as `medallion fetch` deploys it: the sources on their schedules, one HTTP client for
 * all of them, robots.txt, transcription and enrichment when given, and the health endpoint with
 * metrics and the status page (what the daemon recorded in its `FetchActivity`). Its requirements stay
 * open: the caller provides bronze (`BronzeWriter`, `BronzeReader`, and `BronzeMaintenance` when the
 * store has upkeep), so a service of one's own composes the same daemon the CLI runs.
 */
import {
  Enricher,
  type EnricherOptions,
  FetchActivity,
  FetchHttp,
  type FetchHttpOptions,
  HealthServer,
  RobotsTxt,
  Transcriber,
  type TranscriberOptions
} from "@medallion/workers/fetch"

import { Effect, Layer } from "effect"
import * as FetchDaemon from "./FetchDaemon.ts"

export interface FetchDeploymentOptions extends FetchDaemon.FetchDaemonOptions {
  /** The one HTTP client of the fetch side (user agent, timeouts, politeness, the SSRF guard). */
  readonly http: Partial<FetchHttpOptions>
  /** Transcription of media (a Whisper-compatible API), when given; without it media is declined. */
  readonly transcription?: Partial<TranscriberOptions> | undefined
  /** Enrichment (an OpenAI-compatible chat API), when given. */
  readonly enrichment?: Partial<EnricherOptions> | undefined
  /** Where `/healthz`, `/metrics` and the status page are served (port 0: any free port). */
  readonly health: { readonly host: string; readonly port: number }
}

/** Health, metrics and the status page, which shows what the daemon recorded in its `FetchActivity`. */
const health = (options: FetchDeploymentOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const activity = yield* FetchActivity
      return HealthServer.layer({
        daemon: "fetch",
        host: options.health.host,
        port: options.health.port,
        status: { sections: activity.snapshot }
      })
    })
  )

/** The daemon, its HTTP client, transcription and enrichment, and its health endpoint, as one layer. */
export const layer = (options: FetchDeploymentOptions) => {
  const media = Layer.mergeAll(
    options.transcription === undefined ? Layer.empty : Transcriber.layer(options.transcription),
    options.enrichment === undefined ? Layer.empty : Enricher.layer(options.enrichment)
  )
  return Layer.mergeAll(FetchDaemon.layer(options).pipe(Layer.provide(media)), health(options)).pipe(
    Layer.provide(FetchActivity.layer),
    Layer.provide(RobotsTxt.layer()),
    Layer.provideMerge(FetchHttp.layer(options.http))
  )
}
