/**
 * The operational endpoints of a daemon: `GET /healthz` (JSON, 200 when every
 * check passes, 503 otherwise), `GET /metrics` (Prometheus text format of
 * every Effect metric the daemon records) and, given a `status` source, the
 * status page (`StatusPage`: `/`, `/status.json`, `/status/events`,
 * `/status/search`). Bound to 127.0.0.1 unless told otherwise, since metrics
 * and the page can reveal what a deployment ingests.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { createServer } from "node:http"
import { Clock, Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import * as StatusPage from "./StatusPage.ts"

export interface HealthCheck {
  readonly name: string
  /** Succeeds when healthy; its failure is reported as the reason. */
  readonly check: Effect.Effect<unknown, unknown>
}

export interface HealthServerOptions {
  /** Which daemon answers, shown in `/healthz`. */
  readonly daemon: string
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly checks?: ReadonlyArray<HealthCheck> | undefined
  /** What the status page shows; without it the daemon serves `/healthz` and `/metrics` only. */
  readonly status?: StatusPage.StatusSource | undefined
  /** How often the status page is brought up to date (default 3 seconds). */
  readonly statusRefresh?: StatusPage.StatusPageOptions["refreshEvery"]
}

const describe = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === "object" && error !== null && "message" in error
      ? String((error as { message: unknown }).message)
      : String(error)

const routes = (options: HealthServerOptions, startedAt: number) =>
  Layer.mergeAll(
    HttpRouter.add(
      "GET",
      "/healthz",
      Effect.gen(function* () {
        const results = yield* Effect.forEach(
          options.checks ?? [],
          (c) =>
            c.check.pipe(
              Effect.timeout("2 seconds"),
              Effect.match({
                onFailure: (error) => ({ name: c.name, ok: false, reason: describe(error) }),
                onSuccess: () => ({ name: c.name, ok: true })
              })
            ),
          { concurrency: "unbounded" }
        )
        const ok = results.every((r) => r.ok)
        const now = yield* Clock.currentTimeMillis
        return yield* HttpServerResponse.json(
          {
            status: ok ? "ok" : "failing",
            daemon: options.daemon,
            uptimeSeconds: Math.round((now - startedAt) / 1000),
            checks: results
          },
          { status: ok ? 200 : 503 }
        )
      })
    ),
    PrometheusMetrics.layerHttp({ prefix: "medallion" }),
    options.status === undefined
      ? Layer.empty
      : StatusPage.routes({
          daemon: options.daemon,
          host: options.host,
          source: options.status,
          refreshEvery: options.statusRefresh
        })
  )

/** Tells the operator where the page is, with the port actually bound (a free one for port 0). */
const logAddress = (options: HealthServerOptions) =>
  Layer.effectDiscard(
    HttpServer.addressFormattedWith((url) =>
      Effect.logInfo(
        options.status === undefined
          ? `${options.daemon} daemon: health on ${url}/healthz, metrics on ${url}/metrics`
          : `${options.daemon} daemon: status page on ${url}/ (JSON: ${url}/status.json), health on ${url}/healthz, metrics on ${url}/metrics`
      )
    )
  )

/** Serves the endpoints for as long as the layer lives. */
export const layer = (options: HealthServerOptions) =>
  Layer.unwrap(
    Effect.map(Clock.currentTimeMillis, (startedAt) =>
      Layer.merge(HttpRouter.serve(routes(options, startedAt), { disableLogger: true }), logAddress(options)).pipe(
        Layer.provide(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
      )
    )
  )
