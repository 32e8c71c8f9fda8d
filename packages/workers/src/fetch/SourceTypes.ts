/**
 * The source types of the built-in sources, and the external ids of their discovery folders, in a module
 * of their own: what a tool writing bronze as the fetch side does (or `status` naming a failed
 * discovery) needs the names, not the sources' HTTP client and extractors.
 */
export { SOURCE_TYPE as FEED } from "./FeedEntryId.ts"
export const HN = "hn"
export const WEB = "web"

/** The folder of Hacker News's story lists (`hn/_lists`). */
export const HN_LISTS_ID = "_lists"

/** The folder of the feed at `url` (`feed/_feed:<url>`). */
export const feedId = (url: string): string => `_feed:${url}`

/** The folder of the sitemap at `url` (`web/_sitemap:<url>`). */
export const sitemapId = (url: string): string => `_sitemap:${url}`
