/** Web pages (`web`): a list of URLs and/or a sitemap, fetched politely and refetched conditionally. */
import { Schema } from "effect"
import * as LazySource from "../fetch/LazySource.ts"
import * as SourceTypes from "../fetch/SourceTypes.ts"
import { web as transform } from "../transform/BuiltInTransforms.ts"
import * as EntryFields from "./EntryFields.ts"
import * as SourcePlugin from "./SourcePlugin.ts"

export const web = SourcePlugin.make({
  type: SourceTypes.WEB,
  defaults: { every: "1 day" },
  fields: {
    urls: EntryFields.withDefault(Schema.Array(EntryFields.HttpUrl), []),
    sitemap: Schema.optionalKey(EntryFields.HttpUrl)
  },
  source: (entry) =>
    LazySource.make(SourceTypes.WEB, () =>
      import("../fetch/WebSource.ts").then((WebSource) =>
        WebSource.make({ urls: entry.urls, sitemaps: entry.sitemap === undefined ? [] : [entry.sitemap] })
      )
    ),
  transforms: [transform],
  discoveries: (entry) => (entry.sitemap === undefined ? [] : [SourceTypes.sitemapId(entry.sitemap)])
})
