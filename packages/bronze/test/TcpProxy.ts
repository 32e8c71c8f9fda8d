/**
 * A TCP proxy on 127.0.0.1 in front of the S3 server, for fault tests: it forwards, or refuses
 * (every new connection is reset at once, and the open ones are cut). It counts refusals and the bytes
 * it forwarded to the server, so a test waits for events, never for a duration.
 */
import * as Net from "node:net"
import { Effect } from "effect"

export interface TcpProxy {
  readonly endpoint: string
  /** Cut every open connection and reset new ones. */
  readonly refuse: () => void
  readonly forward: () => void
  /** Resolves once at least `count` connections were refused since the proxy started. */
  readonly refusedAtLeast: (count: number) => Promise<void>
  /** Resolves once at least `bytes` were forwarded to the server since the proxy started. */
  readonly forwardedAtLeast: (bytes: number) => Promise<void>
}

export const tcpProxy = (target: string) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ readonly proxy: TcpProxy; readonly shutdown: () => Promise<void> }>((resolve, reject) => {
          const url = new URL(target)
          const open = new Set<Net.Socket>()
          const waiters: Array<() => void> = []
          let refusing = false
          let refused = 0
          let forwarded = 0
          const notify = () => waiters.splice(0).forEach((wake) => wake())
          const until = (done: () => boolean) =>
            new Promise<void>((wake) => {
              const check = () => (done() ? wake() : waiters.push(check))
              check()
            })
          const server = Net.createServer((client) => {
            if (refusing) {
              refused++
              client.resetAndDestroy()
              notify()
              return
            }
            const upstream = Net.connect(Number(url.port), url.hostname)
            open.add(client)
            open.add(upstream)
            const close = () => {
              open.delete(client)
              open.delete(upstream)
              client.destroy()
              upstream.destroy()
            }
            client.on("data", (chunk: Buffer) => {
              forwarded += chunk.length
              notify()
            })
            client.pipe(upstream).on("error", close)
            upstream.pipe(client).on("error", close)
            client.on("error", close).on("close", close)
            upstream.on("error", close).on("close", close)
          })
          server.once("error", reject)
          server.listen(0, "127.0.0.1", () => {
            const address = server.address() as Net.AddressInfo
            resolve({
              shutdown: () =>
                new Promise<void>((done) => {
                  for (const socket of open) socket.destroy()
                  server.close(() => done())
                }),
              proxy: {
                endpoint: `http://127.0.0.1:${address.port}`,
                refuse: () => {
                  refusing = true
                  for (const socket of open) socket.resetAndDestroy()
                  open.clear()
                },
                forward: () => {
                  refusing = false
                },
                refusedAtLeast: (count) => until(() => refused >= count),
                forwardedAtLeast: (bytes) => until(() => forwarded >= bytes)
              }
            })
          })
        })
    ),
    ({ shutdown }) => Effect.promise(shutdown)
  ).pipe(Effect.map(({ proxy }) => proxy))
