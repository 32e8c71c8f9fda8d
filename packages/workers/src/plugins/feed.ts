/** Feeds (`feed`): one RSS/Atom/podcast feed per entry, its entries, linked articles and enclosures. */
import { Schema } from "effect"
import * as LazySource from "../fetch/LazySource.ts"
import * as SourceTypes from "../fetch/SourceTypes.ts"
import { feed as transform } from "../transform/BuiltInTransforms.ts"
import * as EntryFields from "./EntryFields.ts"
import * as SourcePlugin from "./SourcePlugin.ts"

const { withDefault } = EntryFields

export const feed = SourcePlugin.make({
  type: SourceTypes.FEED,
  defaults: { every: "30 minutes" },
  fields: {
    url: EntryFields.HttpUrl,
    maxEntries: withDefault(EntryFields.Count(10_000), 50),
    fetchArticles: withDefault(Schema.Boolean, true),
    fetchEnclosures: withDefault(Schema.Boolean, true)
  },
  source: (entry, context) =>
    LazySource.make(SourceTypes.FEED, () =>
      import("../fetch/FeedSource.ts").then((FeedSource) =>
        FeedSource.make({
          feeds: [entry.url],
          maxEntries: entry.maxEntries,
          fetchArticles: entry.fetchArticles,
          fetchMedia: entry.fetchEnclosures,
          extractTimeout: context.extractTimeout
        })
      )
    ),
  transforms: [transform],
  discoveries: (entry) => [SourceTypes.feedId(entry.url)]
})
