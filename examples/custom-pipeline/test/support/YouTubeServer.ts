/**
 * A real HTTP server on 127.0.0.1 (free port) answering the source's requests with the real API
 * responses of `fixtures/youtube/`; anything else is a 404. Closed with its scope.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import * as Fixtures from "./Fixtures.ts"

export interface YouTubeServer {
  readonly url: string
  /** Requests received, by path and query. */
  readonly hits: (pathAndQuery: string) => number
}

export const start = Effect.acquireRelease(
  Effect.callback<{ readonly server: Http.Server; readonly api: YouTubeServer }>((resume) => {
    const hits = new Map<string, number>()
    const server = Http.createServer((request, response) => {
      const path = request.url ?? "/"
      hits.set(path, (hits.get(path) ?? 0) + 1)
      const route = Fixtures.routes.find((r) => r.pathAndQuery === path)
      if (route === undefined) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("not found")
        return
      }
      response
        .writeHead(route.status, { "Content-Type": "application/json; charset=UTF-8" })
        .end(Fixtures.bytes(route.file))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(
        Effect.succeed({
          server,
          api: { url: `http://127.0.0.1:${port}`, hits: (p: string) => hits.get(p) ?? 0 }
        })
      )
    })
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ api }) => api))
