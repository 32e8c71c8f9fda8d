/** Feeds (`feed`): one RSS/Atom/podcast feed per entry, its entries, linked articles and enclosures. */
import { Schema } from "effect"
import * as FeedSource from "../fetch/FeedSource.ts"
import { feed as transform } from "../transform/sources/feed.ts"
import * as EntryFields from "./EntryFields.ts"
import * as SourcePlugin from "./SourcePlugin.ts"

const { withDefault } = EntryFields

export const feed = SourcePlugin.make({
  type: transform.sourceType,
  defaults: { every: "30 minutes" },
  fields: {
    url: EntryFields.HttpUrl,
    maxEntries: withDefault(EntryFields.Count(10_000), 50),
    fetchArticles: withDefault(Schema.Boolean, true),
    fetchEnclosures: withDefault(Schema.Boolean, true)
  },
  source: (entry, context) =>
    FeedSource.make({
      feeds: [entry.url],
      maxEntries: entry.maxEntries,
      fetchArticles: entry.fetchArticles,
      fetchMedia: entry.fetchEnclosures,
      extractTimeout: context.extractTimeout
    }),
  transforms: [transform],
  discoveries: (entry) => [FeedSource.feedId(entry.url)]
})
