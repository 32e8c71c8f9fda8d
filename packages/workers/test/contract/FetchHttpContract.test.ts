/**
 * The `FetchHttp` contract on the production client (a real loopback server) and on the double.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { FetchHttp, testDefaults, type TestRequest } from "../../src/http/FetchHttp.ts"
import { contract, type PathRoutes, type Serve } from "./FetchHttpContract.ts"

/** A loopback server answering from the routes (404 for any other path). */
const listen = (routes: PathRoutes) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly base: string }>((resume) => {
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
          const path = new URL(req.url ?? "/", base).pathname
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
          const request: TestRequest = { url: `${base}${req.url ?? "/"}`, method: req.method ?? "GET", headers }
          const route = routes[path]
          const answer =
            route === undefined
              ? { status: 404, body: "not found" }
              : typeof route === "function"
                ? route(request)
                : route
          res.writeHead(answer.status ?? 200, answer.headers ?? {})
          res.end(answer.body === undefined ? undefined : Buffer.from(answer.body))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
      )
    }),
    ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )

/** The client, alive for the test's scope. */
const build = (layer: Layer.Layer<FetchHttp>) => Effect.map(Layer.build(layer), Context.get(FetchHttp))

const production: Serve = (routes) =>
  Effect.gen(function* () {
    const { base } = yield* listen(routes)
    const http = yield* build(FetchHttp.layer({ ...testDefaults, addressPolicy: { allow: ["127.0.0.1/32"] } }))
    return { http, base }
  })

const BASE = "https://contract.example"

const double: Serve = (routes) =>
  Effect.gen(function* () {
    const byUrl = Object.fromEntries(Object.entries(routes).map(([path, route]) => [`${BASE}${path}`, route]))
    return { http: yield* build(FetchHttp.layerTest(byUrl)), base: BASE }
  })

describe("FetchHttp contract: production client on a loopback server", () => contract(production, it.live))
describe("FetchHttp contract: FetchHttp.layerTest", () => contract(double, it.effect))
