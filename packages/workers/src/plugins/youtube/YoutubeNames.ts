/**
 * The names of the YouTube source, apart from its code: its source type, the base URL it defaults to,
 * its video ids, the folder of its back-off records and its transform's version. The plug-in's entry is
 * decoded and listed with these alone; its fetch and transform are imported on first use.
 */
export const SOURCE_TYPE = "youtube"

/** Where the YouTube Data API v3 answers by default. */
export const DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"

/** The environment variable the API key is read from by default. */
export const DEFAULT_API_KEY_ENV = "YOUTUBE_API_KEY"

/** A video id as YouTube gives them: 11 characters of the URL-safe base 64 alphabet. */
export const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/

/**
 * The video id of a watch URL (`https://www.youtube.com/watch?v=<id>`), a short link (`https://youtu.be/<id>`),
 * a `/shorts/<id>` or `/embed/<id>` URL, or an id.
 */
export const videoId = (text: string): string | undefined => {
  const match =
    /[?&]v=([A-Za-z0-9_-]{11})(?:[&#]|$)/.exec(text) ??
    /^https?:\/\/(?:www\.)?youtu\.be\/([A-Za-z0-9_-]{11})(?:[?#/]|$)/.exec(text) ??
    /\/(?:shorts|embed|live)\/([A-Za-z0-9_-]{11})(?:[?#/]|$)/.exec(text) ??
    /^([A-Za-z0-9_-]{11})$/.exec(text)
  return match === null ? undefined : match[1]!
}

/**
 * The folder of an entry's quota back-off records (`_quota:<entry name>`): the fetch side's own, no item.
 * A video id may start with `_` too, but never holds a `:`.
 */
export const quotaId = (entryName: string): string => `_quota:${entryName}`

export const isQuotaFolder = (externalId: string): boolean => externalId.startsWith("_quota:")

/** The page a person opens for a video. */
export const watchUrl = (id: string): string => `https://www.youtube.com/watch?v=${id}`

/**
 * The version of the transform's rows: bump it in the change that alters a row it writes for the same
 * bronze bytes; `medallion backfill --stale` then transforms again only this source's older items.
 */
export const TRANSFORM_VERSION = 1
