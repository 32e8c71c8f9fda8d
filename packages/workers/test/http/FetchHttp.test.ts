import { assert, describe, it, layer } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { FetchError } from "../../src/http/FetchError.ts"
import { FetchHttp, type FetchHttpOptions, parseRetryAfter } from "../../src/http/FetchHttp.ts"
import { FixtureServer, fixturesDir } from "../../src/testing/FixtureServer.ts"
import { eventually, realPause, withinRealTime } from "../support/Eventually.ts"

const loopbackOnly = { allow: ["127.0.0.1/32"] }

const fetchLayer = (options: Partial<FetchHttpOptions> = {}) =>
  FetchHttp.layer({
    addressPolicy: loopbackOnly,
    perHostInterval: Duration.zero,
    retryBase: Duration.millis(5),
    requestTimeout: Duration.seconds(5),
    ...options
  })

const failure = <A, R>(effect: Effect.Effect<A, FetchError, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.die(new Error("expected a FetchError"))
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")
    if (error === undefined || !(error.error instanceof FetchError)) return Effect.die(exit.cause)
    return Effect.succeed(error.error)
  })

layer(FixtureServer.layer(), { excludeTestServices: true })("FetchHttp against a local server", (it) => {
  const withHttp = <A, E>(
    options: Partial<FetchHttpOptions>,
    f: (http: FetchHttp["Service"], server: FixtureServer["Service"]) => Effect.Effect<A, E>
  ) =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const http = yield* FetchHttp
      return yield* f(http, server)
    }).pipe(Effect.provide(fetchLayer(options)))

  it.effect("fetches a page as received, with the User-Agent, and supports ETag revalidation", () =>
    withHttp({}, (http, server) =>
      Effect.gen(function* () {
        const response = yield* http.request({ url: `${server.url}/articles/dev418.html` })
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(
          response.body,
          new Uint8Array(Fs.readFileSync(Path.join(fixturesDir, "html/dev418.html")))
        )
        const seen = server.requests().filter((r) => r.path === "/articles/dev418.html")
        assert.match(String(seen[0]!.headers["user-agent"]), /^MedallionFetcher\//)
        const again = yield* http.request({ url: `${server.url}/articles/dev418.html`, etag: response.headers["etag"] })
        assert.strictEqual(again.status, 304)
        assert.strictEqual(again.body.length, 0)
      })
    )
  )

  it.effect("refuses a URL with credentials before any request, and does not repeat the secret", () =>
    withHttp({}, (http, server) =>
      Effect.gen(function* () {
        const path = "/articles/dev418.html"
        const before = server.hits(path)
        for (const userInfo of ["user:secret@", "user@", ":secret@"]) {
          const error = yield* failure(http.request({ url: `${server.url.replace("//", `//${userInfo}`)}${path}` }))
          assert.strictEqual(error.reason, "invalid-url")
          assert.strictEqual(error.message, "URLs with credentials are not fetched")
          assert.strictEqual(error.url, `${server.url}${path}`)
          assert.strictEqual(error.attempts, 0)
        }
        assert.strictEqual(server.hits(path), before)
      })
    )
  )

  it.effect("retries 500s with backoff and gives up after maxRetries", () =>
    withHttp({ maxRetries: 3 }, (http, server) =>
      Effect.gen(function* () {
        const ok = yield* http.request({ url: `${server.url}/fault/status/500/twice?times=2` })
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(ok.attempts, 3)
        const error = yield* failure(http.request({ url: `${server.url}/fault/status/500/always` }))
        assert.strictEqual(error.reason, "http-status")
        assert.strictEqual(error.status, 500)
        assert.strictEqual(error.attempts, 4)
        assert.strictEqual(server.hits("/fault/status/500/always"), 4)
      })
    )
  )

  it.effect("does not retry a 404", () =>
    withHttp({}, (http, server) =>
      Effect.gen(function* () {
        const error = yield* failure(http.request({ url: `${server.url}/no/such/page` }))
        assert.strictEqual(error.status, 404)
        assert.strictEqual(error.attempts, 1)
        assert.strictEqual(error.bodyExcerpt, "not found")
      })
    )
  )

  it.effect("retries a connection reset, and reports one that persists", () =>
    withHttp({ maxRetries: 2 }, (http, server) =>
      Effect.gen(function* () {
        const ok = yield* http.request({ url: `${server.url}/fault/reset?times=1` })
        assert.strictEqual(ok.attempts, 2)
        const error = yield* failure(http.request({ url: `${server.url}/fault/reset` }))
        assert.strictEqual(error.reason, "transport")
        assert.strictEqual(error.attempts, 3)
      })
    )
  )

  it.effect("reports a body cut short by the server as a transport failure", () =>
    withHttp({ maxRetries: 0 }, (http, server) =>
      Effect.gen(function* () {
        const error = yield* failure(http.request({ url: `${server.url}/fault/truncated` }))
        assert.strictEqual(error.reason, "transport")
        assert.match(error.message, /reading the body/)
      })
    )
  )

  it.effect("times out a slow head and a stalled body", () =>
    withHttp({ maxRetries: 0, requestTimeout: Duration.millis(300) }, (http, server) =>
      Effect.gen(function* () {
        const slow = yield* failure(http.request({ url: `${server.url}/fault/slow?ms=3000` }))
        assert.strictEqual(slow.reason, "timeout")
        const stalled = yield* failure(http.request({ url: `${server.url}/fault/stall-body` }))
        assert.strictEqual(stalled.reason, "timeout")
      })
    )
  )

  it.effect("follows redirects up to the limit", () =>
    withHttp({ maxRedirects: 5 }, (http, server) =>
      Effect.gen(function* () {
        const ok = yield* http.request({ url: `${server.url}/fault/redirect-chain/3` })
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(ok.redirects.length, 3)
        assert.strictEqual(ok.url, `${server.url}/fault/redirect-chain/0`)
        const error = yield* failure(http.request({ url: `${server.url}/fault/redirect-chain/9` }))
        assert.strictEqual(error.reason, "too-many-redirects")
        assert.strictEqual(error.redirects.length, 5)
      })
    )
  )

  it.effect("aborts bodies past the size limit: declared, undeclared and endless", () =>
    withHttp({ maxBodyBytes: 256 * 1024 }, (http, server) =>
      Effect.gen(function* () {
        const declared = yield* failure(http.request({ url: `${server.url}/fault/big?bytes=1048576` }))
        assert.strictEqual(declared.reason, "too-large")
        const undeclared = yield* failure(http.request({ url: `${server.url}/fault/big?bytes=1048576&declare=false` }))
        assert.strictEqual(undeclared.reason, "too-large")
        const endless = yield* failure(http.request({ url: `${server.url}/fault/endless` }))
        assert.strictEqual(endless.reason, "too-large")
        // The endless response was cut off: the server sees the connection closed.
        yield* eventually(() => server.maxInFlight("/fault/endless") === 1)
        const small = yield* http.request({ url: `${server.url}/fault/big?bytes=1000`, maxBytes: 1000 })
        assert.strictEqual(small.body.length, 1000)
      })
    )
  )

  it.effect("streams a body in chunks, bounded", () =>
    withHttp({}, (http, server) =>
      Effect.scoped(
        Effect.gen(function* () {
          const response = yield* http.stream({ url: `${server.url}/media/jfk.wav`, maxBytes: 1024 * 1024 })
          const chunks = yield* Stream.runCollect(response.body)
          const size = chunks.reduce((n, c) => n + c.length, 0)
          assert.strictEqual(size, Fs.statSync(Path.join(fixturesDir, "whisper/jfk.wav")).size)
          const declared = yield* failure(http.stream({ url: `${server.url}/media/jfk.wav`, maxBytes: 100_000 }))
          assert.strictEqual(declared.reason, "too-large")
          const undeclared = yield* http.stream({
            url: `${server.url}/fault/big?bytes=300000&declare=false`,
            maxBytes: 100_000
          })
          const error = yield* failure(Stream.runDrain(undeclared.body))
          assert.strictEqual(error.reason, "too-large")
        })
      )
    )
  )

  it.effect("keeps to the per-host concurrency", () =>
    withHttp({ perHostConcurrency: 1 }, (http, server) =>
      Effect.gen(function* () {
        yield* Effect.all(
          [1, 2, 3].map(() => http.request({ url: `${server.url}/fault/slow/one-at-a-time?ms=50` })),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(server.hits("/fault/slow/one-at-a-time"), 3)
        assert.strictEqual(server.maxInFlight("/fault/slow/one-at-a-time"), 1)
      })
    )
  )
})

describe("FetchHttp on the TestClock", () => {
  it.effect("honors Retry-After on 429 instead of its own short backoff", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const http = yield* FetchHttp
      const path = "/fault/status/429/retry-after"
      const fiber = yield* Effect.forkChild(http.request({ url: `${server.url}${path}?times=1&retryAfter=2` }))
      yield* eventually(() => server.hits(path) === 1, "the first request")
      yield* TestClock.adjust(Duration.millis(1500))
      yield* realPause(100)
      assert.strictEqual(server.hits(path), 1)
      yield* TestClock.adjust(Duration.millis(600))
      const response = yield* Fiber.join(fiber).pipe(withinRealTime(5000, "the retry after the Retry-After"))
      assert.strictEqual(response.attempts, 2)
      assert.strictEqual(server.hits(path), 2)
    }).pipe(Effect.provide(fetchLayer().pipe(Layer.provideMerge(FixtureServer.layer()))))
  )

  it.effect("does not wait for a Retry-After beyond the configured maximum", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const http = yield* FetchHttp
      // Without the cap the request would sleep an hour on the TestClock: bounded in real time instead.
      const error = yield* failure(http.request({ url: `${server.url}/fault/status/503/long?retryAfter=3600` })).pipe(
        withinRealTime(5000, "the request (it waited for the Retry-After of an hour)")
      )
      assert.strictEqual(error.reason, "http-status")
      assert.strictEqual(error.status, 503)
      assert.strictEqual(error.retryAfterSeconds, 3600)
      assert.strictEqual(error.attempts, 1)
    }).pipe(Effect.provide(fetchLayer().pipe(Layer.provideMerge(FixtureServer.layer()))))
  )

  it.effect("spaces requests to one host by perHostInterval", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const http = yield* FetchHttp
      const path = "/articles/tumblr.html"
      const fiber = yield* Effect.forkChild(
        Effect.all([http.request({ url: `${server.url}${path}` }), http.request({ url: `${server.url}${path}` })], {
          concurrency: "unbounded"
        })
      )
      yield* eventually(() => server.hits(path) === 1)
      yield* realPause(100)
      assert.strictEqual(server.hits(path), 1)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(fiber)
      assert.strictEqual(server.hits(path), 2)
    }).pipe(
      Effect.provide(
        fetchLayer({ perHostInterval: Duration.seconds(1) }).pipe(Layer.provideMerge(FixtureServer.layer()))
      )
    )
  )
})

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    assert.strictEqual(parseRetryAfter("120", 0), 120)
    assert.strictEqual(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:00 GMT")),
      60
    )
    assert.strictEqual(parseRetryAfter("soon", 0), undefined)
    assert.strictEqual(parseRetryAfter(undefined, 0), undefined)
  })
})
