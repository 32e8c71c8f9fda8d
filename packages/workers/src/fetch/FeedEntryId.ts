/**
 * Which item a feed entry is. A guid is unique within its feed only in practice (feeds reuse `1`, `2`...,
 * and one post appears in a blog's main feed and in its category feeds), so an entry is keyed by its
 * feed's URL and its guid: `<feed url> <guid>` (a URL never holds a space, so the two parts stay apart).
 *
 * Folders written before entries were scoped (`feed/<guid>/`) keep working: an entry whose scoped folder
 * does not exist yet, while the bare-guid folder does and its `entry.json` names the same feed, is still
 * that folder. Its bronze artifacts are never copied or moved (they are immutable, and media are large):
 * the fetch side goes on filling that folder and the transform keeps its item, so nothing is fetched,
 * transcribed or stored twice. A bare-guid folder that names another feed (two feeds merged into one
 * folder by the old keying) stays the first feed's; the other feed's entry gets its own scoped folder.
 */
import { BronzeReader, type BronzeIoError } from "@medallion/bronze"
import { Effect, Option, Schema } from "effect"

export const SOURCE_TYPE = "feed"

/** The external id of the entry `guid` of the feed at `feedUrl`. */
export const entryId = (feedUrl: string, guid: string): string => `${feedUrl} ${guid}`

const LegacyRecord = Schema.Struct({ feedUrl: Schema.String })
const decodeLegacy = Schema.decodeUnknownOption(Schema.fromJsonString(LegacyRecord))

const entryKey = (externalId: string) => ({ sourceType: SOURCE_TYPE, externalId, artifactType: "entry", ext: "json" })

/**
 * The folder of the entry `guid` of `feedUrl`: its scoped id, or the bare guid when an older version
 * stored this feed's entry there. One `stat` when the scoped folder exists; else one read of the
 * bare-guid folder's `entry.json`.
 */
export const resolve = (feedUrl: string, guid: string): Effect.Effect<string, BronzeIoError, BronzeReader> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const scoped = entryId(feedUrl, guid)
    if (Option.isSome(yield* reader.stat(entryKey(scoped)))) return scoped
    const legacy = yield* reader.get(entryKey(guid)).pipe(
      Effect.map(Option.some),
      Effect.catchTag("ArtifactNotFound", () => Effect.succeedNone)
    )
    if (Option.isNone(legacy)) return scoped
    const record = decodeLegacy(new TextDecoder().decode(legacy.value))
    return Option.isSome(record) && record.value.feedUrl === feedUrl ? guid : scoped
  })
