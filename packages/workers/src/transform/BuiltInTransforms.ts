/**
 * The built-in transforms, `hn`, `feed` and `web`, each imported on its first item (`LazyTransform`):
 * what registers them loads none of their extractors.
 */
import * as SourceTypes from "../fetch/SourceTypes.ts"
import * as BuiltInVersions from "./BuiltInVersions.ts"
import * as LazyTransform from "./LazyTransform.ts"

export const hn = LazyTransform.make(SourceTypes.HN, BuiltInVersions.HN, () =>
  import("./sources/hn.ts").then((m) => m.hn)
)

export const feed = LazyTransform.make(SourceTypes.FEED, BuiltInVersions.FEED, () =>
  import("./sources/feed.ts").then((m) => m.feed)
)

export const web = LazyTransform.make(SourceTypes.WEB, BuiltInVersions.WEB, () =>
  import("./sources/web.ts").then((m) => m.web)
)
