/** Web pages (`web`): a list of URLs and/or a sitemap, fetched politely and refetched conditionally. */
import { Schema } from "effect"
import * as WebSource from "../fetch/WebSource.ts"
import { web as transform } from "../transform/sources/web.ts"
import * as EntryFields from "./EntryFields.ts"
import * as SourcePlugin from "./SourcePlugin.ts"

export const web = SourcePlugin.make({
  type: WebSource.SOURCE_TYPE,
  defaults: { every: "1 day" },
  fields: {
    urls: EntryFields.withDefault(Schema.Array(EntryFields.HttpUrl), []),
    sitemap: Schema.optionalKey(EntryFields.HttpUrl)
  },
  source: (entry) => WebSource.make({ urls: entry.urls, sitemaps: entry.sitemap === undefined ? [] : [entry.sitemap] }),
  transforms: [transform],
  discoveries: (entry) => (entry.sitemap === undefined ? [] : [WebSource.sitemapId(entry.sitemap)])
})
