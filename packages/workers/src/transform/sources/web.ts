/**
 * Web pages (`web`, keyed by URL): `page.html` as received (a refetch is `page@<stamp>.html`; the newest
 * that extracts wins), `page-response.json` (its Content-Type gives the charset) and
 * `fetch-error@<stamp>.json` records; sitemap folders (`_sitemap:<url>`, `sitemap.xml`) list pages
 * as `pending` items. Title, byline, language (declared, else detected), published time, excerpt, site
 * name and text come from `HtmlArticle` (Readability, or the page's main content when Readability keeps
 * too little of a page that is mostly content; `extractor` says which); the item's URL is its external id.
 */
import { Effect } from "effect"
import * as WebSource from "../../fetch/WebSource.ts"
import * as Extraction from "../../extract/Extraction.ts"
import { ItemDraft } from "../ItemDraft.ts"
import * as BuiltInVersions from "../BuiltInVersions.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "web"

/** The artifact name of a sitemap in a sitemap's folder (`_sitemap:<url>`). */
export const SITEMAP = "sitemap"

/** A sitemap's folder is not an item: its page URLs become `pending` web items. */
const transformSitemap: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      const sitemap = yield* draft.decodeDocument(SITEMAP, options.maxFeedBytes, Extraction.sitemap)
      if (sitemap?._tag === "Bad") draft.mainFailure = sitemap.reason
      if (sitemap?._tag === "Ok" && sitemap.value.kind === "urlset") {
        draft.discovered = Array.from(new Set(sitemap.value.locations), (url) => ({
          sourceType: SOURCE_TYPE,
          externalId: url,
          url
        }))
      }
      return yield* draft.finishDiscovery([SITEMAP])
    })
  )

const transformPage: SourceTransform["transform"] = (artifacts, options) =>
  ItemDraft.run(artifacts, options, (draft) =>
    Effect.gen(function* () {
      yield* draft.deriveFetchStatus(["page"])
      draft.fields.url = artifacts.item.externalId
      const page = yield* draft.decodeHtmlArticle("page")
      if (page?._tag === "Bad") draft.mainFailure = page.reason
      if (page?._tag === "Ok") {
        const a = page.value
        const f = draft.fields
        f.title = a.title
        f.author = a.byline
        f.language = a.lang
        draft.setPublished(a.publishedTime)
        f.bodyText = a.text
        f.extractor = a.extractor
        f.excerpt = a.excerpt
        f.siteName = a.siteName
      }
      yield* draft.deriveEnrichment()
      return draft.finish()
    })
  )

/** A sitemap's folder (`_sitemap:<url>`), also before any version of it was stored (its fetch failed). */
const isSitemapFolder = (artifacts: Parameters<SourceTransform["transform"]>[0]): boolean =>
  artifacts.newest(SITEMAP) !== undefined || artifacts.item.externalId.startsWith(WebSource.sitemapId(""))

/**
 * The version of this transform's rows, set in `BuiltInVersions.ts` (so it is registered without loading
 * this module): bump it there in the change that alters a row it writes for the same bronze bytes;
 * `medallion backfill --stale` then transforms again only this source's older items.
 */
export const VERSION = BuiltInVersions.WEB

export const web: SourceTransform = {
  sourceType: SOURCE_TYPE,
  version: VERSION,
  transform: (artifacts, options) =>
    isSitemapFolder(artifacts) ? transformSitemap(artifacts, options) : transformPage(artifacts, options)
}
