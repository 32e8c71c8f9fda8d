/**
 * robots.txt as RFC 9309 asks, against real local servers: its rules apply; a 4xx means no rules; a 5xx
 * or a server that cannot be reached means "disallow all" (crawling is blocked until the next try).
 */
import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { FetchHttp } from "../../src/http/FetchHttp.ts"
import { RobotsTxt } from "../../src/http/RobotsTxt.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"

const robotsOn = (server: Layer.Layer<FixtureServer>) =>
  RobotsTxt.layer().pipe(
    Layer.provideMerge(
      FetchHttp.layer({
        addressPolicy: { allow: ["127.0.0.1/32"] },
        perHostInterval: Duration.zero,
        retryBase: Duration.millis(5),
        maxRetries: 1,
        requestTimeout: Duration.seconds(5)
      })
    ),
    Layer.provideMerge(server)
  )

/** A loopback port nothing listens on (taken, then closed). */
const closedPort = Effect.promise(
  () =>
    new Promise<number>((resolve, reject) => {
      const probe = Net.createServer()
      probe.once("error", reject)
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as Net.AddressInfo
        probe.close(() => resolve(port))
      })
    })
)

const check = (path: string) =>
  Effect.gen(function* () {
    const server = yield* FixtureServer
    const robots = yield* RobotsTxt
    return { allowed: yield* robots.isAllowed(`${server.url}${path}`), server }
  })

describe("RobotsTxt", () => {
  it.live("applies the rules robots.txt gives", () =>
    Effect.gen(function* () {
      assert.isTrue((yield* check("/articles/dev418.html")).allowed)
      const { allowed, server } = yield* check("/private/secret.html")
      assert.isFalse(allowed)
      assert.strictEqual(server.hits("/robots.txt"), 1)
    }).pipe(Effect.provide(robotsOn(FixtureServer.layer())))
  )

  it.live("a robots.txt answering 404 means no rules: everything is allowed", () =>
    Effect.gen(function* () {
      const { allowed, server } = yield* check("/private/secret.html")
      assert.isTrue(allowed)
      assert.strictEqual(server.hits("/robots.txt"), 1)
    }).pipe(Effect.provide(robotsOn(FixtureServer.layer({ robotsStatus: 404 }))))
  )

  for (const status of [500, 503]) {
    it.live(`a robots.txt answering ${status} blocks crawling the whole site`, () =>
      Effect.gen(function* () {
        const { allowed, server } = yield* check("/articles/dev418.html")
        assert.isFalse(allowed)
        assert.isAtLeast(server.hits("/robots.txt"), 1)
        assert.strictEqual(server.hits("/articles/dev418.html"), 0)
      }).pipe(Effect.provide(robotsOn(FixtureServer.layer({ robotsStatus: status }))))
    )
  }

  it.live("a site whose robots.txt cannot be reached is not crawled", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const robots = yield* RobotsTxt
      assert.isFalse(yield* robots.isAllowed(`http://127.0.0.1:${port}/articles/dev418.html`))
    }).pipe(Effect.provide(robotsOn(FixtureServer.layer())))
  )
})
