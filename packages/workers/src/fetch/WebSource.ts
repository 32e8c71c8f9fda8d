/**
 * Plain web pages: a list of URLs and/or sitemaps, crawled politely (robots.txt,
 * conditional requests, the shared per-host limits).
 *
 * Bronze layout (sourceType `web`, one item per page URL):
 * - `<url>/page.html` (then `page@<stamp>.html` when the page changed on a
 *   refetch): the HTML as received, any charset;
 * - `<url>/page-response.json` (`page-response@<stamp>.json`): final URL,
 *   status, headers of that version (charset, ETag, Last-Modified);
 * - `_sitemap:<sitemap url>/sitemap.xml` (`sitemap@<stamp>.xml`): each sitemap
 *   as received, a new version only when it changed;
 * - `fetch-error@<stamp>.json` when a fetch failed or robots.txt disallowed it.
 *
 * Refetch policy: a page is fetched again once its newest version is older than
 * `refetchAfter`, conditionally; a 304 or identical bytes write nothing.
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, Duration, Effect } from "effect"
import * as Sitemap from "../extract/Sitemap.ts"
import { FetchHttp } from "../http/FetchHttp.ts"
import { RobotsTxt } from "../http/RobotsTxt.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"
import * as SourceTypes from "./SourceTypes.ts"
import { type DiscoveredItem, type Source, itemResult, toSourceError } from "./Source.ts"

export const SOURCE_TYPE = SourceTypes.WEB

export const sitemapId = SourceTypes.sitemapId

export interface WebSourceOptions {
  readonly urls: ReadonlyArray<string>
  readonly sitemaps: ReadonlyArray<string>
  readonly maxPages: number
  readonly refetchAfter: Duration.Duration
  readonly retryFailedAfter: Duration.Duration
  /** Child sitemaps followed per sitemap index. */
  readonly maxChildSitemaps: number
}

export const defaults: WebSourceOptions = {
  urls: [],
  sitemaps: [],
  maxPages: 1000,
  refetchAfter: Duration.hours(24),
  retryFailedAfter: Duration.hours(1),
  maxChildSitemaps: 50
}

export const make = (
  partial: Partial<WebSourceOptions> = {}
): Source<FetchHttp | RobotsTxt | BronzeWriter | BronzeReader> => {
  const options = { ...defaults, ...partial }

  const readSitemap = (url: string) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const sitemapItem = { sourceType: SOURCE_TYPE, externalId: sitemapId(url) }
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, sitemapItem.externalId)
      const response = yield* Effect.result(http.request({ url, accept: "application/xml, text/xml" }))
      if (response._tag === "Failure") {
        yield* ItemArtifacts.recordFailure(sitemapItem, ItemArtifacts.failureOf("sitemap", response.failure))
        return undefined
      }
      yield* ItemArtifacts.putVersionIfChanged(infos, sitemapItem, "sitemap", "xml", response.success.body)
      const parsed = yield* Effect.result(
        Sitemap.parse(response.success.body, response.success.headers["content-type"])
      )
      if (parsed._tag === "Failure") {
        yield* ItemArtifacts.recordFailure(sitemapItem, {
          artifact: "sitemap",
          url,
          reason: "invalid-response",
          message: parsed.failure.reason
        })
        return undefined
      }
      return parsed.success
    })

  const discover = Effect.gen(function* () {
    const found: Array<string> = [...options.urls]
    for (const url of options.sitemaps) {
      const sitemap = yield* readSitemap(url)
      if (sitemap === undefined) continue
      if (sitemap.kind === "urlset") found.push(...sitemap.locations)
      else {
        for (const child of sitemap.locations.slice(0, options.maxChildSitemaps)) {
          const inner = yield* readSitemap(child)
          if (inner?.kind === "urlset") found.push(...inner.locations)
        }
      }
    }
    return [...new Set(found)].slice(0, options.maxPages).map((url): DiscoveredItem => ({ externalId: url }))
  }).pipe(Effect.mapError(toSourceError(SOURCE_TYPE)), Effect.withSpan("WebSource.discover"))

  const fetchItem = (discovered: DiscoveredItem) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const robots = yield* RobotsTxt
      const url = discovered.externalId
      const item = { sourceType: SOURCE_TYPE, externalId: url }
      const written: Array<string> = []
      const result = itemResult(url, written)
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, url)
      const now = yield* Clock.currentTimeMillis
      const lastPage = ItemArtifacts.latest(infos, "page")
      const lastFailure = ItemArtifacts.latest(infos, "fetch-error")
      // A page stored without its response record (a fetch killed between the two) is not up to date.
      const complete = ItemArtifacts.isComplete(infos, lastPage)
      if (complete && now - lastPage!.at < Duration.toMillis(options.refetchAfter))
        return result("skipped", "up to date")
      if (lastFailure !== undefined && now - lastFailure.at < Duration.toMillis(options.retryFailedAfter)) {
        return result("skipped", "failed recently")
      }
      if (!(yield* robots.isAllowed(url))) {
        written.push(
          yield* ItemArtifacts.recordFailure(item, {
            artifact: "page",
            url,
            reason: "robots-disallowed",
            message: "robots.txt disallows this URL for our User-Agent"
          })
        )
        return result("failed", "robots-disallowed")
      }
      const headers = yield* ItemArtifacts.responseHeadersOf(infos, lastPage)
      const response = yield* Effect.result(
        http.request({
          url,
          accept: "text/html,application/xhtml+xml",
          ...ItemArtifacts.conditional(complete, headers)
        })
      )
      if (response._tag === "Failure") {
        written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("page", response.failure)))
        return result("failed", response.failure.message)
      }
      if (response.success.status === 304) {
        const unchanged = yield* ItemArtifacts.recordUnchanged(infos, item, "page", url)
        if (unchanged !== undefined) written.push(unchanged)
        return result("skipped", "not modified")
      }
      const stored = yield* ItemArtifacts.putDocument(infos, item, "page", "html", response.success)
      if (stored === undefined) return result("skipped", "unchanged")
      written.push(...stored.written)
      return result("fetched")
    }).pipe(Effect.mapError(toSourceError(SOURCE_TYPE, discovered.externalId)), Effect.withSpan("WebSource.fetchItem"))

  return { sourceType: SOURCE_TYPE, discover, fetchItem }
}
