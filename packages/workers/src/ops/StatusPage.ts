/**
 * The status page a daemon serves on its health port: one page shell for every daemon (static HTML,
 * a small script and a style sheet shipped in this package's `assets/status/`, no build step), and
 * the JSON it reads, which scripts can read too:
 *
 *   GET /                 the page
 *   GET /status.json      `{ daemon, generatedAt, search, ...sections }`: each key a section of the
 *                         page (503 with `error` when the daemon could not build them)
 *   GET /status/events    server-sent events: `status` with the same document whenever it changed,
 *                         `checked` with `{ generatedAt }` when a refresh found nothing new
 *   GET /status/search    `?q=words&source=hn&limit=20`: search over silver, on a daemon that has it
 *
 * What a section holds is the daemon's business (`StatusSource`); the page renders the sections it
 * knows with their own layout and any other one generically, so a field added to a report shows up
 * without a change here. Read-only: every route is a GET. A report is built at most once per
 * `refreshEvery` however many pages are open, and never takes longer than `timeout`.
 */
import { fileURLToPath } from "node:url"
import { Cause, Clock, Duration, Effect, FileSystem, Layer, Schedule, Schema, Stream } from "effect"
import { Sse } from "effect/encoding"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"

export interface SearchRequest {
  readonly text: string
  readonly sourceType?: string | undefined
  readonly limit: number
}

export interface StatusSource {
  /** The daemon's sections: a JSON-compatible object, each key one section of the page. */
  readonly sections: Effect.Effect<object, unknown>
  /** Search over silver, on the daemon that has it; the page shows a search box then. */
  readonly search?: ((request: SearchRequest) => Effect.Effect<ReadonlyArray<unknown>, unknown>) | undefined
}

export interface StatusPageOptions {
  /** Which daemon answers: "fetch", "transform". */
  readonly daemon: string
  /** The address the server listens on: on a loopback address only loopback `Host` names are answered. */
  readonly host: string
  readonly source: StatusSource
  /** How often the page is brought up to date (default 3 seconds). */
  readonly refreshEvery?: Duration.Input | undefined
  /** The longest a report or a search may take (default 10 seconds). */
  readonly timeout?: Duration.Input | undefined
}

export class StatusPageAssetsMissing extends Schema.TaggedError<StatusPageAssetsMissing>()("StatusPageAssetsMissing", {
  directory: Schema.String,
  cause: Schema.Defect()
}) {
  override get message() {
    return `the status page's files are missing from ${this.directory}`
  }
}

/** The page's files, beside `src/` and `dist/` alike (`<package>/assets/status/`). */
export const assetsDirectory = (moduleUrl: string = import.meta.url): string =>
  fileURLToPath(new URL("../../assets/status/", moduleUrl))

export const ASSETS = {
  "index.html": "text/html; charset=utf-8",
  "status.js": "text/javascript; charset=utf-8",
  "status.css": "text/css; charset=utf-8"
} as const

/**
 * Nothing but the page's own files may run or load: an item title that escaped its text node could
 * still not execute a script.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store"
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i

/** Whether the server listens on loopback only, where a foreign `Host` means a rebinding attack. */
export const isLoopback = (host: string) => LOOPBACK_HOST.test(host)

/** The host name of a `Host` header (`127.0.0.1:9465`, `[::1]:9465`, `localhost`). */
const hostName = (header: string | undefined) => {
  if (header === undefined) return ""
  const trimmed = header.trim()
  if (trimmed.startsWith("[")) return trimmed.slice(0, trimmed.indexOf("]") + 1)
  const colon = trimmed.indexOf(":")
  return colon === -1 ? trimmed : trimmed.slice(0, colon)
}

const SearchParams = Schema.Struct({
  q: Schema.String.check(Schema.isBetweenLength(1, 200)),
  source: Schema.optional(Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]{0,39}$/))),
  limit: Schema.optional(Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 50 })))
})

const describe = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message)
  return String(error)
}

/** A built report: the document the page and scripts read, or why there is none. */
interface Snapshot {
  readonly ok: boolean
  readonly document: Readonly<Record<string, unknown>>
  /** The document without its time stamp: what tells whether anything changed. */
  readonly content: string
}

const event = (name: string, data: unknown) =>
  Sse.encoder.write({ _tag: "Event", event: name, id: undefined, data: JSON.stringify(data) })

const loadAssets = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const directory = assetsDirectory()
  const files: Record<string, string> = {}
  for (const name of Object.keys(ASSETS)) {
    files[name] = yield* fs
      .readFileString(`${directory}${name}`)
      .pipe(Effect.mapError((cause) => new StatusPageAssetsMissing({ directory, cause })))
  }
  return files as Record<keyof typeof ASSETS, string>
})

/** The page's routes, for `HttpRouter.serve` (`HealthServer` mounts them next to `/healthz`). */
export const routes = (options: StatusPageOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const files = yield* loadAssets
      const refreshEvery = Duration.fromInputUnsafe(options.refreshEvery ?? Duration.seconds(3))
      const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.seconds(10))
      const search = options.source.search

      const build: Effect.Effect<Snapshot> = options.source.sections.pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(`the report took longer than ${Duration.format(timeout)}`)
        }),
        Effect.map((sections) => ({ daemon: options.daemon, search: search !== undefined, ...sections })),
        Effect.map((body) => ({ ok: true, body })),
        Effect.catchCause((cause) =>
          Effect.as(Effect.logWarning("status page: the report could not be built", cause), {
            ok: false,
            body: { daemon: options.daemon, search: search !== undefined, error: describe(cause) }
          })
        ),
        Effect.flatMap(({ ok, body }) =>
          Effect.map(Clock.currentTimeMillis, (now) => ({
            ok,
            document: { ...body, generatedAt: new Date(now).toISOString() },
            content: JSON.stringify(body)
          }))
        )
      )
      // Every reader within `refreshEvery` shares one report, a failed one included (no retry storm).
      const current = yield* Effect.cachedWithTTL(build, refreshEvery)

      const guarded = <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
          isLoopback(options.host) && !isLoopback(hostName(request.headers["host"]))
            ? Effect.succeed(
                HttpServerResponse.text("this status page answers loopback names only", {
                  status: 421,
                  headers: SECURITY_HEADERS
                })
              )
            : handler
        )

      const asset = (name: keyof typeof ASSETS) =>
        guarded(
          Effect.succeed(HttpServerResponse.text(files[name], { contentType: ASSETS[name], headers: SECURITY_HEADERS }))
        )

      const json = (body: unknown, status = 200) =>
        HttpServerResponse.jsonUnsafe(body, { status, headers: SECURITY_HEADERS })

      // The whole document when it changed, else only the time it was checked at.
      const events = Stream.fromEffectSchedule(current, Schedule.spaced(refreshEvery)).pipe(
        Stream.mapAccum(
          () => "",
          (previous: string, snapshot: Snapshot) =>
            [
              snapshot.content,
              [
                snapshot.content === previous
                  ? event("checked", { generatedAt: snapshot.document["generatedAt"] })
                  : event("status", snapshot.document)
              ]
            ] as const
        ),
        // A comment now and then keeps proxies and idle timeouts from closing a quiet stream.
        (stream) =>
          Stream.merge(
            stream,
            Stream.map(Stream.tick("15 seconds"), () => ": keep-alive\n\n")
          ),
        (stream) => Stream.concat(Stream.make("retry: 3000\n\n"), stream),
        Stream.encodeText
      )

      return Layer.mergeAll(
        HttpRouter.add("GET", "/", asset("index.html")),
        HttpRouter.add("GET", "/assets/status.js", asset("status.js")),
        HttpRouter.add("GET", "/assets/status.css", asset("status.css")),
        HttpRouter.add(
          "GET",
          "/status.json",
          guarded(Effect.map(current, (snapshot) => json(snapshot.document, snapshot.ok ? 200 : 503)))
        ),
        HttpRouter.add(
          "GET",
          "/status/events",
          guarded(
            Effect.succeed(
              HttpServerResponse.stream(events, {
                contentType: "text/event-stream",
                headers: { ...SECURITY_HEADERS, "x-accel-buffering": "no" }
              })
            )
          )
        ),
        HttpRouter.add(
          "GET",
          "/status/search",
          guarded(
            Effect.gen(function* () {
              if (search === undefined) return json({ error: `the ${options.daemon} daemon has no search` }, 404)
              const params = yield* Effect.result(HttpServerRequest.schemaSearchParams(SearchParams))
              if (params._tag === "Failure") {
                return json({ error: "q must be 1 to 200 characters, source a source type, limit 1 to 50" }, 400)
              }
              const { q, source, limit } = params.success
              return yield* search({ text: q, sourceType: source, limit: limit ?? 20 }).pipe(
                Effect.timeoutOrElse({
                  duration: timeout,
                  orElse: () => Effect.fail(`the search took longer than ${Duration.format(timeout)}`)
                }),
                Effect.map((hits) => json({ query: q, hits })),
                Effect.catchCause((cause) =>
                  Effect.as(
                    Effect.logWarning("status page: search failed", cause),
                    json({ error: describe(cause) }, 500)
                  )
                )
              )
            })
          )
        )
      )
    })
  )
