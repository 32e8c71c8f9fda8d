/**
 * Source plug-ins: one value per source type (its configuration entry, its fetch side, its transforms
 * and their versions), the registry every part of the pipeline reads, and the built-in ones.
 */
export * as EntryFields from "./EntryFields.ts"
export type { SourceContext } from "./SourceContext.ts"
export * as SourcePlugin from "./SourcePlugin.ts"
export * as SourcePlugins from "./SourcePlugins.ts"
export { feed as FeedPlugin } from "./feed.ts"
export { hn as HackerNewsPlugin } from "./hn.ts"
export { web as WebPlugin } from "./web.ts"
export { reddit as RedditPlugin } from "./reddit/index.ts"
export { youtube as YoutubePlugin } from "./youtube/index.ts"
