/** YouTube (`youtube`): chosen videos through the YouTube Data API v3, each with its comment threads. */
import { Schema } from "effect"
import * as EntryFields from "../EntryFields.ts"
import * as SourcePlugin from "../SourcePlugin.ts"
import * as LazySource from "../../fetch/LazySource.ts"
import * as LazyTransform from "../../transform/LazyTransform.ts"
import { YoutubeApiKey } from "./YoutubeApiKey.ts"
import * as YoutubeNames from "./YoutubeNames.ts"

const { withDefault } = EntryFields

const Video = Schema.String.check(
  Schema.makeFilter((text: string) => YoutubeNames.videoId(text) !== undefined, {
    expected: 'a YouTube video id (11 characters, such as "D-lhorsDlUQ") or a watch URL'
  })
)

const EnvName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    expected: 'the name of an environment variable, such as "YOUTUBE_API_KEY"'
  })
)

const fields = {
  baseUrl: withDefault(EntryFields.HttpUrl, YoutubeNames.DEFAULT_BASE_URL),
  videos: Schema.Array(Video).check(Schema.isMinLength(1)),
  /** Pages of `commentThreads.list` (100 threads each) asked per video and fetch. */
  maxCommentPages: withDefault(EntryFields.Count(100), 5),
  apiKeyEnv: withDefault(EnvName, YoutubeNames.DEFAULT_API_KEY_ENV),
  /** A video is fetched again (its statistics and comments) once its newest copy is older than this. */
  refetchAfter: withDefault(EntryFields.SourceEvery, "6 hours"),
  /** After a quota or rate-limit answer the source asks nothing for this long. */
  quotaBackoff: withDefault(EntryFields.Bounded("1 minute", "1 day"), "1 hour")
}

// Its source needs the entry's key beside the fetch side's services: the type says so, and `layer` gives it.
export const youtube = SourcePlugin.make<typeof fields, SourcePlugin.FetchServices | YoutubeApiKey>({
  type: YoutubeNames.SOURCE_TYPE,
  defaults: { every: "1 hour" },
  fields,
  // Its code is imported on first use: decoding and listing entries needs the names only.
  source: (entry) =>
    LazySource.make(YoutubeNames.SOURCE_TYPE, () =>
      import("./fetch/YoutubeSource.ts").then((YoutubeSource) =>
        YoutubeSource.make({
          name: entry.name,
          baseUrl: entry.baseUrl,
          videos: entry.videos,
          maxCommentPages: entry.maxCommentPages,
          refetchAfter: entry.refetchAfter,
          quotaBackoff: entry.quotaBackoff
        })
      )
    ),
  // The key of each entry from the variable it names, read when the fetch daemon starts.
  layer: (entry) => YoutubeApiKey.layer(entry.apiKeyEnv, entry.name),
  transforms: [
    LazyTransform.make(YoutubeNames.SOURCE_TYPE, YoutubeNames.TRANSFORM_VERSION, () =>
      import("./transform/YoutubeTransform.ts").then((m) => m.youtube)
    )
  ]
})
