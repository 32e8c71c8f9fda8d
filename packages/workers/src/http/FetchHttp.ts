/**
 * The one HTTP client of the fetch side, configured once and shared by every
 * source, the transcriber and the enricher: a good citizen towards the sites
 * it reads and a careful one towards what they send back.
 *
 * - timeouts: connect (in the connector) and per attempt (head and body);
 * - retries with capped exponential backoff and jitter on network errors,
 *   timeouts, 429 and 5xx, honoring `Retry-After` (seconds or an HTTP date);
 * - per-host concurrency and a minimum interval between requests to one host;
 * - redirects followed by hand, bounded, each hop checked again;
 * - bodies streamed and aborted once past a size limit;
 * - conditional requests (`If-None-Match` / `If-Modified-Since`);
 * - one User-Agent;
 * - special-purpose addresses refused unless allowed: IP literals before the
 *   request, resolved names in the connector's `lookup` (every connection,
 *   every redirect, no second resolution for DNS rebinding to exploit).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Clock, Config, Context, Duration, Effect, Layer, Schedule, Scope, Semaphore, Stream } from "effect"
import type { HttpBody } from "effect/http"
import { HttpClient, HttpClientRequest, HttpClientResponse, type HttpClientError } from "effect/http"
import * as AddressPolicy from "./AddressPolicy.ts"
import { FetchError, type FetchFailureReason, isRetryable } from "./FetchError.ts"
import * as ServerMessage from "./ServerMessage.ts"

export interface FetchHttpOptions {
  readonly userAgent: string
  readonly connectTimeout: Duration.Duration
  /** One attempt: from sending the request to the last byte of a buffered body (to the head for streams). */
  readonly requestTimeout: Duration.Duration
  readonly maxRetries: number
  readonly retryBase: Duration.Duration
  readonly retryCap: Duration.Duration
  /** A `Retry-After` longer than this is not waited for: the fetch fails and a later run tries again. */
  readonly maxRetryAfter: Duration.Duration
  readonly maxRedirects: number
  /** Default body limit; a request may set its own (media). */
  readonly maxBodyBytes: number
  readonly perHostConcurrency: number
  /** Minimum time between the starts of two requests to the same host. */
  readonly perHostInterval: Duration.Duration
  readonly addressPolicy: AddressPolicy.AddressPolicy
  /** Name resolution used by the connector (tests substitute one). */
  readonly resolve?: AddressPolicy.Resolve | undefined
}

export const defaultOptions: FetchHttpOptions = {
  userAgent: "MedallionFetcher/0.1 (+https://github.com/medallion)",
  connectTimeout: Duration.seconds(10),
  requestTimeout: Duration.seconds(30),
  maxRetries: 3,
  retryBase: Duration.millis(500),
  retryCap: Duration.seconds(30),
  maxRetryAfter: Duration.minutes(2),
  maxRedirects: 5,
  maxBodyBytes: 20 * 1024 * 1024,
  perHostConcurrency: 2,
  perHostInterval: Duration.millis(250),
  addressPolicy: AddressPolicy.strict
}

export interface FetchRequest {
  readonly url: string
  readonly method?: "GET" | "POST" | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: HttpBody.HttpBody | undefined
  /** The ETag of the copy already held: sent as `If-None-Match`. */
  readonly etag?: string | undefined
  /** The Last-Modified of the copy already held: sent as `If-Modified-Since`. */
  readonly lastModified?: string | undefined
  readonly maxBytes?: number | undefined
  readonly accept?: string | undefined
}

export interface FetchHead {
  /** The final URL, after redirects. */
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly redirects: ReadonlyArray<string>
  readonly attempts: number
}

export interface FetchResponse extends FetchHead {
  /** Empty for a 304. */
  readonly body: Uint8Array
}

export interface FetchStream extends FetchHead {
  /** The body, aborted with a `too-large` `FetchError` past the limit. */
  readonly body: Stream.Stream<Uint8Array, FetchError>
}

/** A canned answer of `FetchHttp.layerTest` (status 200 and an empty body by default). */
export interface TestResponse {
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | Uint8Array | undefined
}

/** What a route of `FetchHttp.layerTest` sees of a request, as the client sent it. */
export interface TestRequest {
  readonly url: string
  readonly method: string
  /** Header names lowercased: `user-agent`, `if-none-match`, an API key's header, ... */
  readonly headers: Readonly<Record<string, string>>
}

/** Canned answers by exact URL: a value, or a function of the request (to count calls, vary answers). */
export type TestRoutes = Readonly<Record<string, TestResponse | ((request: TestRequest) => TestResponse)>>

/** The waits of `FetchHttp.layerTest`: milliseconds, so tests with retries stay fast. */
export const testDefaults: Partial<FetchHttpOptions> = {
  retryBase: Duration.millis(1),
  retryCap: Duration.millis(10),
  maxRetryAfter: Duration.zero,
  perHostInterval: Duration.zero
}

const bodyless = (status: number) => status === 204 || status === 205 || status === 304 || status < 200

/**
 * An `HttpClient` answering from `routes` by exact URL (normalized as `new URL(...).href`), 404 for any
 * other: what `FetchHttp.layerTest` runs the real client on.
 */
export const testClient = (routes: TestRoutes): HttpClient.HttpClient => {
  const byUrl = new Map(Object.entries(routes).map(([url, route]) => [new URL(url).href, route]))
  return HttpClient.make((request, url) =>
    Effect.sync(() => {
      const route = byUrl.get(url.href)
      const seen: TestRequest = { url: url.href, method: request.method, headers: { ...request.headers } }
      const canned: TestResponse =
        route === undefined ? { status: 404, body: "not found" } : typeof route === "function" ? route(seen) : route
      const status = canned.status ?? 200
      const body = bodyless(status) ? null : (canned.body ?? "")
      return HttpClientResponse.fromWeb(
        request,
        new Response(typeof body === "string" || body === null ? body : new Uint8Array(body), {
          status,
          headers: canned.headers ?? {}
        })
      )
    })
  )
}

/** Parses `Retry-After`: delay-seconds or an HTTP date, relative to `nowMillis`. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - nowMillis) / 1000))
}

const findCode = (cause: unknown, depth = 0): { code: string; error: unknown } | undefined => {
  if (depth > 8 || typeof cause !== "object" || cause === null) return undefined
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string") {
    if (code === "EMEDALLION_ADDRESS_REFUSED") return { code, error: cause }
    const inner = findCode((cause as { cause?: unknown }).cause, depth + 1)
    return inner?.code === "EMEDALLION_ADDRESS_REFUSED" ? inner : { code, error: cause }
  }
  const errors = (cause as { errors?: unknown }).errors
  if (Array.isArray(errors)) {
    for (const e of errors) {
      const found = findCode(e, depth + 1)
      if (found) return found
    }
  }
  return findCode((cause as { cause?: unknown }).cause, depth + 1)
}

const connectCodes = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"])

const classifyTransport = (cause: unknown): { reason: FetchFailureReason; message: string } => {
  const found = findCode(cause)
  const message = found && found.error instanceof Error ? found.error.message : String(cause)
  if (found === undefined) return { reason: "transport", message }
  if (found.code === "EMEDALLION_ADDRESS_REFUSED") return { reason: "address-refused", message }
  if (found.code === "UND_ERR_CONNECT_TIMEOUT") return { reason: "timeout", message: `connect timeout: ${message}` }
  if (connectCodes.has(found.code)) return { reason: "connect", message: `${found.code}: ${message}` }
  return { reason: "transport", message: `${found.code}: ${message}` }
}

const headersRecord = (headers: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v
  return out
}

const decodeExcerpt = (bytes: Uint8Array): string => new TextDecoder("utf-8", { fatal: false }).decode(bytes)

/** Limits a byte stream: fails with `onTooLarge` once more than `max` bytes went through. */
export const limitBytes = <E, E2>(
  stream: Stream.Stream<Uint8Array, E>,
  max: number,
  onTooLarge: (seen: number) => E2
): Stream.Stream<Uint8Array, E | E2> =>
  Stream.unwrap(
    Effect.sync(() => {
      let seen = 0
      return Stream.mapEffect(stream, (chunk) => {
        seen += chunk.byteLength
        return seen > max ? Effect.fail(onTooLarge(seen)) : Effect.succeed(chunk)
      })
    })
  )

const collect = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  let size = 0
  for (const c of chunks) size += c.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}

interface HopContext {
  readonly redirects: Array<string>
  attempts: number
}

type Hop<A> =
  | { readonly _tag: "Redirect"; readonly location: string; readonly status: number }
  | { readonly _tag: "Done"; readonly value: A }

export class FetchHttp extends Context.Service<
  FetchHttp,
  {
    readonly options: FetchHttpOptions
    /** Fetches and buffers the body (bounded by the size limit). 2xx and 304 succeed; anything else fails. */
    readonly request: (request: FetchRequest) => Effect.Effect<FetchResponse, FetchError>
    /** Fetches the head and hands the body over as a bounded stream, valid while the scope is open. */
    readonly stream: (request: FetchRequest) => Effect.Effect<FetchStream, FetchError, Scope.Scope>
  }
>()("@medallion/workers/FetchHttp") {
  /** The service on any `HttpClient` (the address check in the connector is the client's business). */
  static readonly layerNoDeps = (options: Partial<FetchHttpOptions> = {}) =>
    Layer.effect(FetchHttp, make({ ...defaultOptions, ...options }))

  /**
   * The double for users' unit tests: the real client (redirects, retries, `Retry-After`, size limits,
   * conditional requests, error classification) over `testClient(routes)`, an `HttpClient` answering
   * by exact URL (404 for any other). No network at all.
   *
   * Its waits are shortened (`testDefaults`: retry backoff from 1 ms, no per-host interval, a
   * `Retry-After` is not waited for) and run on the real clock, so it behaves the same under the
   * `TestClock`; pass `options` to change any of them.
   */
  static readonly layerTest = (routes: TestRoutes, options: Partial<FetchHttpOptions> = {}) =>
    Layer.effect(
      FetchHttp,
      Effect.gen(function* () {
        const real = yield* make({ ...defaultOptions, ...testDefaults, ...options })
        const live = Clock.Clock.defaultValue()
        return FetchHttp.of({
          options: real.options,
          request: (request) => Effect.provideService(real.request(request), Clock.Clock, live),
          stream: (request) => Effect.provideService(real.stream(request), Clock.Clock, live)
        })
      })
    ).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, testClient(routes))))

  /** The service on undici with the guarded connector: the production layer. */
  static readonly layer = (options: Partial<FetchHttpOptions> = {}) => {
    const full = { ...defaultOptions, ...options }
    return FetchHttp.layerNoDeps(full).pipe(
      Layer.provide(NodeHttpClient.layerUndiciNoDispatcher),
      Layer.provide(
        NodeHttpClient.layerDispatcherOptions({
          connect: {
            timeout: Duration.toMillis(full.connectTimeout),
            lookup: AddressPolicy.guardedLookup(full.addressPolicy, full.resolve)
          }
        })
      )
    )
  }

  /**
   * The production layer configured from the environment:
   * `MEDALLION_HTTP_USER_AGENT`, `MEDALLION_HTTP_TIMEOUT_MS`, `MEDALLION_HTTP_MAX_RETRIES`,
   * `MEDALLION_HTTP_MAX_BODY_BYTES`, `MEDALLION_HTTP_PER_HOST_CONCURRENCY`,
   * `MEDALLION_HTTP_PER_HOST_INTERVAL_MS`, `MEDALLION_HTTP_ALLOW_CIDRS` (comma-separated).
   */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function* () {
      const userAgent = yield* Config.String("MEDALLION_HTTP_USER_AGENT").pipe(
        Config.withDefault(defaultOptions.userAgent)
      )
      const timeoutMs = yield* Config.Int("MEDALLION_HTTP_TIMEOUT_MS").pipe(
        Config.withDefault(Duration.toMillis(defaultOptions.requestTimeout))
      )
      const maxRetries = yield* Config.Int("MEDALLION_HTTP_MAX_RETRIES").pipe(
        Config.withDefault(defaultOptions.maxRetries)
      )
      const maxBodyBytes = yield* Config.Int("MEDALLION_HTTP_MAX_BODY_BYTES").pipe(
        Config.withDefault(defaultOptions.maxBodyBytes)
      )
      const perHostConcurrency = yield* Config.Int("MEDALLION_HTTP_PER_HOST_CONCURRENCY").pipe(
        Config.withDefault(defaultOptions.perHostConcurrency)
      )
      const perHostIntervalMs = yield* Config.Int("MEDALLION_HTTP_PER_HOST_INTERVAL_MS").pipe(
        Config.withDefault(Duration.toMillis(defaultOptions.perHostInterval))
      )
      const allow = yield* Config.String("MEDALLION_HTTP_ALLOW_CIDRS").pipe(Config.withDefault(""))
      return FetchHttp.layer({
        userAgent,
        requestTimeout: Duration.millis(timeoutMs),
        maxRetries,
        maxBodyBytes,
        perHostConcurrency,
        perHostInterval: Duration.millis(perHostIntervalMs),
        addressPolicy: {
          allow: allow
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
          setting: "MEDALLION_HTTP_ALLOW_CIDRS"
        }
      })
    })
  )
}

const make = (options: FetchHttpOptions) =>
  Effect.gen(function* () {
    const client = HttpClient.withScope(yield* HttpClient.HttpClient)
    const addressAllowed = AddressPolicy.makeCheck(options.addressPolicy)
    const hosts = new Map<string, { readonly semaphore: Semaphore.Semaphore; next: number }>()
    const intervalMs = Duration.toMillis(options.perHostInterval)

    const hostState = (host: string) => {
      let state = hosts.get(host)
      if (state === undefined) {
        state = { semaphore: Semaphore.makeUnsafe(Math.max(1, options.perHostConcurrency)), next: 0 }
        hosts.set(host, state)
      }
      return state
    }

    /** Waits for this host's next slot, so that request starts are `perHostInterval` apart. */
    const waitForSlot = (host: string) =>
      Effect.gen(function* () {
        const state = hostState(host)
        const now = yield* Clock.currentTimeMillis
        const start = Math.max(now, state.next)
        state.next = start + intervalMs
        if (start > now) yield* Effect.sleep(Duration.millis(start - now))
      })

    const fail = (
      url: string,
      ctx: HopContext,
      reason: FetchFailureReason,
      message: string,
      extra: Partial<FetchError> = {}
    ) =>
      new FetchError({
        url,
        reason,
        message,
        redirects: [...ctx.redirects],
        attempts: ctx.attempts,
        ...(extra.status === undefined ? {} : { status: extra.status }),
        ...(extra.headers === undefined ? {} : { headers: extra.headers }),
        ...(extra.bodyExcerpt === undefined ? {} : { bodyExcerpt: extra.bodyExcerpt }),
        ...(extra.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: extra.retryAfterSeconds })
      })

    const validate = (raw: string, ctx: HopContext): Effect.Effect<URL, FetchError> => {
      let url: URL
      try {
        url = new URL(raw)
      } catch {
        return Effect.fail(fail(raw, ctx, "invalid-url", `not a valid absolute URL: ${raw}`))
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return Effect.fail(
          fail(url.href, ctx, "scheme-refused", `only http and https are fetched, not ${url.protocol}`)
        )
      }
      if (url.username !== "" || url.password !== "") {
        // The report (a bronze failure record, a log line) must not keep the secret either.
        const shown = new URL(url.href)
        shown.username = ""
        shown.password = ""
        return Effect.fail(fail(shown.href, ctx, "invalid-url", "URLs with credentials are not fetched"))
      }
      if (AddressPolicy.isIpLiteral(url.hostname) && !addressAllowed(url.hostname)) {
        return Effect.fail(
          fail(
            url.href,
            ctx,
            "address-refused",
            `refused to connect to ${url.hostname}: ${AddressPolicy.refusalReason(options.addressPolicy)}`
          )
        )
      }
      return Effect.succeed(url)
    }

    /** Fails before any body is read when the declared Content-Length is over the limit. */
    const refuseDeclaredTooLarge = (
      url: string,
      ctx: HopContext,
      status: number,
      headers: Record<string, string>,
      max: number
    ): Effect.Effect<void, FetchError> => {
      const length = Number(headers["content-length"])
      return Number.isFinite(length) && length > max
        ? Effect.fail(
            fail(url, ctx, "too-large", `Content-Length ${length} exceeds the limit of ${max} bytes`, {
              status,
              headers
            })
          )
        : Effect.void
    }

    const readLimited = (
      url: string,
      ctx: HopContext,
      response: HttpClientResponse.HttpClientResponse,
      max: number
    ): Effect.Effect<Uint8Array, FetchError> =>
      Stream.runCollect(
        limitBytes(
          Stream.mapError(response.stream, (e: HttpClientError.HttpClientError) => {
            const c = classifyTransport(e.cause ?? e)
            return fail(url, ctx, c.reason, `reading the body: ${c.message}`)
          }),
          max,
          (seen) => fail(url, ctx, "too-large", `body exceeds the limit of ${max} bytes (read ${seen})`)
        )
      ).pipe(Effect.map(collect))

    /** One attempt at one URL: send, classify the status, and finish (buffer or hand over) a 2xx/304. */
    const attempt = <A>(
      url: URL,
      request: FetchRequest,
      method: "GET" | "POST",
      ctx: HopContext,
      finish: (
        response: HttpClientResponse.HttpClientResponse,
        headers: Record<string, string>
      ) => Effect.Effect<A, FetchError, Scope.Scope>
    ): Effect.Effect<Hop<A>, FetchError, Scope.Scope> =>
      Effect.gen(function* () {
        ctx.attempts += 1
        yield* waitForSlot(url.host)
        const headers: Record<string, string> = { "user-agent": options.userAgent, ...request.headers }
        if (request.accept !== undefined) headers["accept"] = request.accept
        if (request.etag !== undefined) headers["if-none-match"] = request.etag
        if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified
        const httpRequest = HttpClientRequest.make(method)(url.href, {
          headers,
          ...(method === "POST" && request.body !== undefined ? { body: request.body } : {})
        })
        const response = yield* client.execute(httpRequest).pipe(
          Effect.mapError((e) => {
            const c = classifyTransport(e.cause ?? e)
            return fail(url.href, ctx, c.reason, c.message)
          })
        )
        const responseHeaders = headersRecord(response.headers)
        const status = response.status
        if ([301, 302, 303, 307, 308].includes(status) && responseHeaders["location"] !== undefined) {
          return { _tag: "Redirect", location: responseHeaders["location"], status } as const
        }
        if ((status >= 200 && status < 300) || status === 304) {
          return { _tag: "Done", value: yield* finish(response, responseHeaders) } as const
        }
        const excerpt = yield* readLimited(url.href, ctx, response, 2048).pipe(
          Effect.map(decodeExcerpt),
          Effect.catch(() => Effect.succeed(""))
        )
        const now = yield* Clock.currentTimeMillis
        const retryAfter =
          status === 429 || status === 503 ? parseRetryAfter(responseHeaders["retry-after"], now) : undefined
        return yield* fail(
          url.href,
          ctx,
          "http-status",
          ServerMessage.statusMessage(status, excerpt, responseHeaders["content-type"]),
          {
            status,
            headers: responseHeaders,
            bodyExcerpt: excerpt,
            ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter })
          }
        )
      }).pipe(
        (effect) => hostState(url.host).semaphore.withPermit(effect),
        Effect.timeoutOrElse({
          duration: options.requestTimeout,
          orElse: () =>
            Effect.fail(
              fail(url.href, ctx, "timeout", `no complete response within ${Duration.format(options.requestTimeout)}`)
            )
        })
      )

    const maxRetryAfterSeconds = Duration.toSeconds(options.maxRetryAfter)
    const retryCapMillis = Duration.toMillis(options.retryCap)
    const retrySchedule = Schedule.exponential(options.retryBase).pipe(
      Schedule.jittered,
      Schedule.setInputType<FetchError>(),
      Schedule.modifyDelay(({ input, duration }) =>
        Effect.succeed(
          input.retryAfterSeconds !== undefined
            ? Duration.seconds(input.retryAfterSeconds)
            : Duration.millis(Math.min(Duration.toMillis(duration), retryCapMillis))
        )
      ),
      Schedule.while(
        ({ input }) =>
          isRetryable(input) &&
          (input.retryAfterSeconds === undefined || input.retryAfterSeconds <= maxRetryAfterSeconds)
      ),
      Schedule.upTo({ times: options.maxRetries })
    )

    /** Follows redirects (bounded, each hop validated again), retrying each hop. */
    const run = <A>(
      request: FetchRequest,
      ctx: HopContext,
      finish: (
        response: HttpClientResponse.HttpClientResponse,
        headers: Record<string, string>,
        url: URL
      ) => Effect.Effect<A, FetchError, Scope.Scope>,
      scoped: boolean
    ): Effect.Effect<{ readonly url: URL; readonly value: A }, FetchError, Scope.Scope> =>
      Effect.gen(function* () {
        let current = request.url
        let method: "GET" | "POST" = request.method ?? "GET"
        for (let hop = 0; ; hop++) {
          const url = yield* validate(current, ctx)
          const once = attempt(
            url,
            method === request.method ? request : { ...request, body: undefined },
            method,
            ctx,
            (r, h) => finish(r, h, url)
          )
          // A buffered attempt releases its connection at once; a stream keeps it for the caller's scope.
          const result: Hop<A> = yield* (scoped ? once : Effect.scoped(once)).pipe(Effect.retry(retrySchedule))
          if (result._tag === "Done") return { url, value: result.value }
          if (hop >= options.maxRedirects) {
            return yield* fail(url.href, ctx, "too-many-redirects", `more than ${options.maxRedirects} redirects`, {
              status: result.status
            })
          }
          let next: URL
          try {
            next = new URL(result.location, url)
          } catch {
            return yield* fail(url.href, ctx, "invalid-url", `redirect to an invalid location: ${result.location}`)
          }
          ctx.redirects.push(next.href)
          if (result.status === 303 || ((result.status === 301 || result.status === 302) && method === "POST"))
            method = "GET"
          current = next.href
        }
      })

    const request = Effect.fn("FetchHttp.request")(function* (request: FetchRequest) {
      const ctx: HopContext = { redirects: [], attempts: 0 }
      const max = request.maxBytes ?? options.maxBodyBytes
      const { url, value } = yield* Effect.scoped(
        run(
          request,
          ctx,
          (response, headers, url) =>
            Effect.gen(function* () {
              yield* refuseDeclaredTooLarge(url.href, ctx, response.status, headers, max)
              const body = response.status === 304 ? new Uint8Array() : yield* readLimited(url.href, ctx, response, max)
              return { status: response.status, headers, body }
            }),
          false
        )
      )
      return {
        url: url.href,
        status: value.status,
        headers: value.headers,
        body: value.body,
        redirects: ctx.redirects,
        attempts: ctx.attempts
      } satisfies FetchResponse
    })

    const stream = Effect.fn("FetchHttp.stream")(function* (request: FetchRequest) {
      const ctx: HopContext = { redirects: [], attempts: 0 }
      const max = request.maxBytes ?? options.maxBodyBytes
      const { url, value } = yield* run(
        request,
        ctx,
        (response, headers, url) =>
          Effect.gen(function* () {
            yield* refuseDeclaredTooLarge(url.href, ctx, response.status, headers, max)
            return { status: response.status, headers, response }
          }),
        true
      )
      const body = limitBytes(
        Stream.mapError(value.response.stream, (e: HttpClientError.HttpClientError) => {
          const c = classifyTransport(e.cause ?? e)
          return fail(url.href, ctx, c.reason, `reading the body: ${c.message}`)
        }),
        max,
        (seen) => fail(url.href, ctx, "too-large", `body exceeds the limit of ${max} bytes (read ${seen})`)
      )
      return {
        url: url.href,
        status: value.status,
        headers: value.headers,
        body,
        redirects: ctx.redirects,
        attempts: ctx.attempts
      } satisfies FetchStream
    })

    return FetchHttp.of({ options, request, stream })
  })
