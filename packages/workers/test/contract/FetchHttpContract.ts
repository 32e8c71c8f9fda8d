/**
 * The behaviour every `FetchHttp` must have, run against the production client on a real loopback server
 * and against `FetchHttp.layerTest`, both answering from the same routes: what a user's test on the
 * double learns about redirects, retries, limits and statuses holds in production.
 */
import { assert, it } from "@effect/vitest"
import { Effect, Exit, type Scope, Stream } from "effect"
import { HttpBody } from "effect/http"
import { FetchError } from "../../src/http/FetchError.ts"
import type { FetchHttp, TestRequest, TestResponse } from "../../src/http/FetchHttp.ts"

/** Routes by path: the suite builds them per test (some count their calls). */
export type PathRoutes = Readonly<Record<string, TestResponse | ((request: TestRequest) => TestResponse)>>

/** Serves `routes` and gives a client for them, with the base URL the paths hang from. */
export type Serve = (
  routes: PathRoutes
) => Effect.Effect<{ readonly http: FetchHttp["Service"]; readonly base: string }, unknown, Scope.Scope>

const failure = <A>(effect: Effect.Effect<A, FetchError>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.die(new Error("expected a FetchError"))
    const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
    return reason !== undefined && reason.error instanceof FetchError
      ? Effect.succeed(reason.error)
      : Effect.die(exit.cause)
  })

/** Windows-1252 bytes (`café` with 0xE9), not UTF-8: raw is raw, whatever the charset. */
const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9])

/**
 * `runner` is `it.live` for the production client (its waits are on the clock) or `it.effect` (the
 * double runs its waits on the real clock, so it is checked on the TestClock, as users' tests run it).
 */
export const contract = (serve: Serve, runner: typeof it.effect) => {
  const test = (
    name: string,
    routes: () => PathRoutes,
    body: (http: FetchHttp["Service"], base: string) => Effect.Effect<void, unknown>
  ) => runner(name, () => Effect.scoped(Effect.flatMap(serve(routes()), ({ base, http }) => body(http, base))))

  test(
    "a 200 is the body as received (bytes, any charset), headers lowercased, the User-Agent sent",
    () => ({
      "/page": (request) => ({
        headers: { "Content-Type": "text/html; charset=windows-1252", "X-Agent": request.headers["user-agent"] ?? "" },
        body: latin1
      })
    }),
    (http, base) =>
      Effect.gen(function* () {
        const response = yield* http.request({ url: `${base}/page` })
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(response.body, latin1)
        assert.strictEqual(response.headers["content-type"], "text/html; charset=windows-1252")
        assert.match(response.headers["x-agent"]!, /^MedallionFetcher\//)
        assert.strictEqual(response.url, `${base}/page`)
        assert.deepStrictEqual(response.redirects, [])
        assert.strictEqual(response.attempts, 1)
      })
  )

  test(
    "redirects are followed (relative locations too), each hop reported, and bounded",
    () => ({
      "/old": { status: 301, headers: { location: "/moved" } },
      "/moved": { status: 302, headers: { location: "final" } },
      "/final": { body: "here" },
      "/loop": { status: 307, headers: { location: "/loop" } },
      "/ftp": { status: 302, headers: { location: "ftp://files.example/x" } }
    }),
    (http, base) =>
      Effect.gen(function* () {
        const response = yield* http.request({ url: `${base}/old` })
        assert.strictEqual(new TextDecoder().decode(response.body), "here")
        assert.strictEqual(response.url, `${base}/final`)
        assert.deepStrictEqual(response.redirects, [`${base}/moved`, `${base}/final`])
        const loop = yield* failure(http.request({ url: `${base}/loop` }))
        assert.strictEqual(loop.reason, "too-many-redirects")
        assert.strictEqual(loop.redirects.length, http.options.maxRedirects)
        assert.strictEqual((yield* failure(http.request({ url: `${base}/ftp` }))).reason, "scheme-refused")
      })
  )

  test(
    "a POST answered 303 is followed with a GET",
    () => ({
      "/form": (request) => ({ status: request.method === "POST" ? 303 : 405, headers: { location: "/done" } }),
      "/done": (request) => ({ body: request.method })
    }),
    (http, base) =>
      Effect.gen(function* () {
        const response = yield* http.request({
          url: `${base}/form`,
          method: "POST",
          body: HttpBody.text("q=1", "application/x-www-form-urlencoded")
        })
        assert.strictEqual(new TextDecoder().decode(response.body), "GET")
      })
  )

  test(
    "5xx is retried until it succeeds; other statuses fail at once with the server's words",
    () => {
      let calls = 0
      return {
        "/flaky": () => (++calls <= 2 ? { status: 503, body: "busy" } : { body: "ok" }),
        "/broken": { status: 500, headers: { "content-type": "text/plain" }, body: "database on fire" },
        "/gone": { status: 410, body: "gone for good" }
      }
    },
    (http, base) =>
      Effect.gen(function* () {
        const flaky = yield* http.request({ url: `${base}/flaky` })
        assert.strictEqual(flaky.attempts, 3)
        const broken = yield* failure(http.request({ url: `${base}/broken` }))
        assert.strictEqual(broken.reason, "http-status")
        assert.strictEqual(broken.status, 500)
        assert.strictEqual(broken.attempts, http.options.maxRetries + 1)
        assert.include(broken.message, "database on fire")
        const gone = yield* failure(http.request({ url: `${base}/gone` }))
        assert.strictEqual(gone.status, 410)
        assert.strictEqual(gone.attempts, 1)
        assert.strictEqual(gone.bodyExcerpt, "gone for good")
        const missing = yield* failure(http.request({ url: `${base}/no-such-page` }))
        assert.strictEqual(missing.status, 404)
      })
  )

  test(
    "a Retry-After over the configured maximum is reported, not waited for",
    () => ({ "/limited": { status: 429, headers: { "retry-after": "3600" } } }),
    (http, base) =>
      Effect.gen(function* () {
        const limited = yield* failure(http.request({ url: `${base}/limited` }))
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.retryAfterSeconds, 3600)
        assert.strictEqual(limited.attempts, 1)
      })
  )

  test(
    "bodies over the limit fail with too-large, buffered or streamed",
    () => ({ "/big": { body: "x".repeat(1000) } }),
    (http, base) =>
      Effect.gen(function* () {
        assert.strictEqual((yield* failure(http.request({ url: `${base}/big`, maxBytes: 100 }))).reason, "too-large")
        const streamed = yield* Effect.scoped(
          Effect.flatMap(http.stream({ url: `${base}/big`, maxBytes: 100 }), (head) =>
            failure(Stream.runDrain(head.body))
          )
        ).pipe(Effect.catch((error) => Effect.succeed(error)))
        assert.strictEqual(streamed.reason, "too-large")
        assert.strictEqual((yield* http.request({ url: `${base}/big`, maxBytes: 1000 })).body.length, 1000)
      })
  )

  test(
    "conditional requests: the held ETag is sent and a 304 has an empty body",
    () => ({
      "/feed": (request) =>
        request.headers["if-none-match"] === '"v1"' ? { status: 304 } : { headers: { etag: '"v1"' }, body: "<rss/>" }
    }),
    (http, base) =>
      Effect.gen(function* () {
        const first = yield* http.request({ url: `${base}/feed` })
        assert.strictEqual(first.status, 200)
        const again = yield* http.request({ url: `${base}/feed`, etag: first.headers["etag"] })
        assert.strictEqual(again.status, 304)
        assert.strictEqual(again.body.length, 0)
      })
  )
}
