/**
 * The artifacts a legacy value may become: for each built-in source, exactly the names its fetch side
 * writes (see the workers' "Bronze layout written by the fetch side"), so the ordinary transform reads
 * a migrated item as it reads a fetched one. A source type of one's own may use any artifact name.
 */
import { MediaKind, SourceTypes } from "@medallion/workers/records"

export interface Target {
  /** The artifact name (its type without a version stamp). */
  readonly name: string
  /** The extension, when fixed by the fetch side (`undefined`: media, from the mapping or the row's type). */
  readonly ext: string | undefined
  /** Parsed as JSON by the transform: a value that does not parse is flagged in the report. */
  readonly json: boolean
  /** A document stored with a `<name>-response.json` record beside it (its Content-Type gives the charset). */
  readonly response: boolean
  /** The fetch side stamps every version, the first one too (`comments@<stamp>.json`). */
  readonly alwaysStamped: boolean
}

const target = (name: string, ext: string | undefined, options: Partial<Omit<Target, "name" | "ext">> = {}) =>
  ({ name, ext, json: ext === "json", response: false, alwaysStamped: false, ...options }) satisfies Target

const enrichment = [target("enrichment-prompt", "json"), target("enrichment-response", "json")]

/** What each built-in source's fetch side writes for an item. */
export const builtIn: ReadonlyMap<string, ReadonlyArray<Target>> = new Map([
  [
    SourceTypes.HN,
    [
      target("item", "json"),
      target("comments", "json", { alwaysStamped: true }),
      target("article", "html", { response: true }),
      ...enrichment
    ]
  ],
  [
    SourceTypes.FEED,
    [
      target("article", "html", { response: true }),
      target("audio", undefined),
      target("video", undefined),
      target("transcript", "json"),
      ...enrichment
    ]
  ],
  [SourceTypes.WEB, [target("page", "html", { response: true }), ...enrichment]]
])

/** The artifact whose failure is the item's failure: what a carried-over `fetch_status = failed` names. */
export const mainArtifact: ReadonlyMap<string, string> = new Map([
  [SourceTypes.HN, "item"],
  [SourceTypes.FEED, "entry"],
  [SourceTypes.WEB, "page"]
])

/** The feed entry record (`entry.json`), composed from the row's normalized columns. */
export const ENTRY = "entry"

/** The provenance record each migrated row writes into its item's folder. */
export const LEGACY_ROW = "legacy-row"

/** The fetch side's failure record, carrying a legacy `failed` status and its reason. */
export const FETCH_ERROR = "fetch-error"

/** Names the migration writes itself: a mapping may not send a column there. */
export const reserved: ReadonlySet<string> = new Set([LEGACY_ROW, FETCH_ERROR, ENTRY])

/** The targets a source accepts; `undefined` for a source type of one's own (any name, `ext` required). */
export const targetsOf = (source: string): ReadonlyArray<Target> | undefined => builtIn.get(source)

/** A target of a source type of one's own: the mapping gives its extension. */
export const custom = (name: string, ext: string): Target => target(name, ext)

/**
 * Ids the built-in transforms read as folders of their own bookkeeping, not items: HN's `_lists`,
 * feeds' `_feed:<url>`, web's `_sitemap:<url>`. A legacy id of that shape would be misread.
 */
export const isBookkeepingId = (source: string, externalId: string): boolean =>
  builtIn.has(source) && externalId.startsWith("_")

/** The extension of a media file: from its MIME type or URL, as the feed source names enclosures. */
export const mediaExtension = (type: string | undefined, url: string | undefined): string | undefined =>
  MediaKind.mediaKind({ url: url ?? "", type })?.ext
