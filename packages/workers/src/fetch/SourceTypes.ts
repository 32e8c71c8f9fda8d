/**
 * The source types of the built-in sources, in a module of their own: what a tool writing bronze as the
 * fetch side does needs the names, not the sources' HTTP client and extractors.
 */
export { SOURCE_TYPE as FEED } from "./FeedEntryId.ts"
export const HN = "hn"
export const WEB = "web"
