/**
 * robots.txt for crawled web pages (RFC 9309): fetched once per origin through
 * `FetchHttp` and kept for `ttl`. A 4xx means no rules; a 5xx or an unreachable
 * server means "disallow all" until the next try, as the RFC asks.
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { createRequire } from "node:module"
import { FetchHttp } from "./FetchHttp.ts"

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined
}

// robots-parser is CommonJS (`module.exports = function`) with typings for an ES default export.
const robotsParser = createRequire(import.meta.url)("robots-parser") as (url: string, contents: string) => Robots

interface Entry {
  /** Shared by concurrent callers, so one robots.txt request serves them all. */
  readonly check: Effect.Effect<(url: string) => boolean>
  readonly expires: number
}

export class RobotsTxt extends Context.Service<
  RobotsTxt,
  {
    /** `true` when the site's robots.txt lets our User-Agent fetch `url`. */
    readonly isAllowed: (url: string) => Effect.Effect<boolean>
  }
>()("@medallion/workers/RobotsTxt") {
  static readonly layer = (options: { readonly ttl?: Duration.Duration | undefined } = {}) =>
    Layer.effect(
      RobotsTxt,
      Effect.gen(function* () {
        const http = yield* FetchHttp
        const ttl = Duration.toMillis(options.ttl ?? Duration.hours(1))
        const agent = http.options.userAgent.split("/")[0]!
        const cache = new Map<string, Entry>()

        const load = (origin: string) =>
          http.request({ url: `${origin}/robots.txt`, maxBytes: 512 * 1024 }).pipe(
            Effect.map((response) => {
              const robots = robotsParser(`${origin}/robots.txt`, new TextDecoder().decode(response.body))
              return (url: string) => robots.isAllowed(url, agent) !== false
            }),
            Effect.catch((error) =>
              Effect.succeed(
                error.reason === "http-status" &&
                  error.status !== undefined &&
                  error.status >= 400 &&
                  error.status < 500
                  ? () => true
                  : () => false
              )
            )
          )

        const isAllowed = Effect.fn("RobotsTxt.isAllowed")(function* (url: string) {
          let origin: string
          try {
            origin = new URL(url).origin
          } catch {
            return false
          }
          const now = yield* Clock.currentTimeMillis
          const cached = cache.get(origin)
          if (cached !== undefined && cached.expires > now) return (yield* cached.check)(url)
          const check = yield* Effect.cached(load(origin))
          cache.set(origin, { check, expires: now + ttl })
          return (yield* check)(url)
        })

        return RobotsTxt.of({ isAllowed })
      })
    )

  /** Everything allowed: for sources that are not crawls, and for users' unit tests. */
  static readonly layerAllowAll = Layer.succeed(RobotsTxt, RobotsTxt.of({ isAllowed: () => Effect.succeed(true) }))
}
