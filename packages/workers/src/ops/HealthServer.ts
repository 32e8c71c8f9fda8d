/**
 * The operational endpoints of a daemon: `GET /healthz` (JSON, 200 when every
 * check passes, 503 otherwise) and `GET /metrics` (Prometheus text format of
 * every Effect metric the daemon records). Bound to 127.0.0.1 unless told
 * otherwise, since metrics can reveal what a deployment ingests.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { createServer } from "node:http"
import { Clock, Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"

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
    PrometheusMetrics.layerHttp({ prefix: "medallion" })
  )

/** Serves the endpoints for as long as the layer lives. */
export const layer = (options: HealthServerOptions) =>
  Layer.unwrap(
    Effect.map(Clock.currentTimeMillis, (startedAt) =>
      HttpRouter.serve(routes(options, startedAt), { disableLogger: true }).pipe(
        Layer.provide(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
      )
    )
  )
