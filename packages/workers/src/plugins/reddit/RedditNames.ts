/**
 * The names of the Reddit source, apart from its code: its source type, its folders' ids, the base URL
 * it defaults to and its transform's version. The plug-in's entry is decoded and listed with these alone;
 * its fetch and transform are imported on first use.
 */
export const SOURCE_TYPE = "reddit"

/** Where the source asks by default. */
export const DEFAULT_BASE_URL = "https://www.reddit.com"

/** The discovery folder of a subreddit: `_` starts no thread id. */
export const listingId = (subreddit: string): string => `_r_${subreddit.toLowerCase()}`

/** The thread id of a permalink (`https://www.reddit.com/r/x/comments/<id>/slug/`, `/comments/<id>`) or an id. */
export const threadId = (permalink: string): string | undefined => {
  const match = /\/comments\/([a-z0-9]+)/i.exec(permalink) ?? /^(?:t3_)?([a-z0-9]+)$/i.exec(permalink)
  return match === null ? undefined : match[1]!.toLowerCase()
}

/**
 * The version of the transform's rows: bump it in the change that alters a row it writes for the same
 * bronze bytes; `medallion backfill --stale` then transforms again only this source's older items.
 */
export const TRANSFORM_VERSION = 1
