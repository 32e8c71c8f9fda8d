/** Hacker News (`hn`): the top/new/best story lists, each story with its comments and linked article. */
import { Schema } from "effect"
import * as LazySource from "../fetch/LazySource.ts"
import * as SourceTypes from "../fetch/SourceTypes.ts"
import { hn as transform } from "../transform/BuiltInTransforms.ts"
import * as EntryFields from "./EntryFields.ts"
import * as SourcePlugin from "./SourcePlugin.ts"

const { withDefault } = EntryFields

export const hn = SourcePlugin.make({
  type: SourceTypes.HN,
  defaults: { name: "hn", every: "10 minutes" },
  fields: {
    baseUrl: withDefault(EntryFields.HttpUrl, "https://hacker-news.firebaseio.com"),
    lists: withDefault(Schema.Array(Schema.Literals(["topstories", "newstories", "beststories"])), ["topstories"]),
    maxItems: withDefault(EntryFields.Count(10_000), 30),
    /** Comments of stories younger than `refetchWindow` are fetched again after this long. */
    refetchCommentsAfter: withDefault(EntryFields.SourceEvery, "6 hours"),
    refetchWindow: withDefault(EntryFields.Interval, "2 days"),
    fetchArticles: withDefault(Schema.Boolean, true)
  },
  source: (entry) =>
    LazySource.make(SourceTypes.HN, () =>
      import("../fetch/HackerNewsSource.ts").then((HackerNewsSource) =>
        HackerNewsSource.make({
          baseUrl: entry.baseUrl,
          lists: entry.lists,
          maxItems: entry.maxItems,
          commentsRefetchAfter: entry.refetchCommentsAfter,
          refetchWindow: entry.refetchWindow,
          fetchArticles: entry.fetchArticles
        })
      )
    ),
  transforms: [transform],
  discoveries: () => [SourceTypes.HN_LISTS_ID]
})
