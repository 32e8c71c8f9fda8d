/** Reddit (`reddit`): a subreddit's listing and/or chosen threads, each post with its whole comment tree. */
import { Schema } from "effect"
import * as EntryFields from "../EntryFields.ts"
import * as SourcePlugin from "../SourcePlugin.ts"
import * as LazySource from "../../fetch/LazySource.ts"
import * as LazyTransform from "../../transform/LazyTransform.ts"
import * as RedditNames from "./RedditNames.ts"

const { withDefault } = EntryFields

/** A subreddit's name as Reddit allows it (`r/` left out). */
const Subreddit = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_]{1,20}$/, { expected: 'a subreddit name such as "typescript" (no "r/")' })
)

const Thread = Schema.String.check(
  Schema.makeFilter((text: string) => RedditNames.threadId(text) !== undefined, {
    expected: 'a Reddit thread permalink (".../comments/<id>/...") or its id'
  })
)

export const reddit = SourcePlugin.make({
  type: RedditNames.SOURCE_TYPE,
  defaults: { every: "15 minutes" },
  fields: {
    baseUrl: withDefault(EntryFields.HttpUrl, RedditNames.DEFAULT_BASE_URL),
    subreddit: Schema.optionalKey(Subreddit),
    listing: withDefault(Schema.Literals(["new", "hot", "top", "rising"]), "new"),
    threads: withDefault(Schema.Array(Thread), []),
    maxPosts: withDefault(EntryFields.Count(100), 25),
    /** Comments asked of `/api/morechildren.json` per thread and fetch (100 a request). */
    maxMoreComments: withDefault(EntryFields.Count(10_000), 500),
    /** Threads of posts younger than `refetchWindow` are fetched again after this long. */
    refetchAfter: withDefault(EntryFields.SourceEvery, "6 hours"),
    refetchWindow: withDefault(EntryFields.Interval, "2 days"),
    robots: withDefault(Schema.Boolean, true)
  },
  // Its code is imported on first use: decoding and listing entries needs the names only.
  source: (entry) =>
    LazySource.make(RedditNames.SOURCE_TYPE, () =>
      import("./fetch/RedditSource.ts").then((RedditSource) =>
        RedditSource.make({
          baseUrl: entry.baseUrl,
          subreddit: entry.subreddit,
          listing: entry.listing,
          threads: entry.threads,
          maxPosts: entry.maxPosts,
          maxMoreComments: entry.maxMoreComments,
          refetchAfter: entry.refetchAfter,
          refetchWindow: entry.refetchWindow,
          robots: entry.robots
        })
      )
    ),
  transforms: [
    LazyTransform.make(RedditNames.SOURCE_TYPE, RedditNames.TRANSFORM_VERSION, () =>
      import("./transform/RedditTransform.ts").then((m) => m.reddit)
    )
  ],
  discoveries: (entry) => (entry.subreddit === undefined ? [] : [RedditNames.listingId(entry.subreddit)])
})
