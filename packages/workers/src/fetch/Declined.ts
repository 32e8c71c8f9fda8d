/**
 * Work the fetch side does not do by configuration, recorded in bronze so silver can say so instead of
 * showing it pending forever: `<artifact>-declined.json` in the item's folder, e.g. `audio-declined.json`
 * (the source does not fetch enclosures) or `transcript-declined.json` (transcription is not enabled).
 * The record is written once (the same bytes again are a no-op) and superseded by the artifact itself
 * when a later configuration does the work: the transform reads the artifact first.
 */
import { BronzeReader, location } from "@medallion/bronze"
import { Effect } from "effect"
import * as ItemArtifacts from "./ItemArtifacts.ts"

export interface DeclinedRecord {
  /** What was not fetched or made: `audio`, `video`, `transcript`. */
  readonly artifact: string
  readonly url?: string | undefined
  /** Why: `disabled` (by configuration). */
  readonly reason: "disabled"
  /** What an operator changes to have it done. */
  readonly message: string
}

/** The artifact name of the record for `artifact`. */
export const nameOf = (artifact: string): string => `${artifact}-declined`

/** Writes the record unless the item has one for `artifact` already; returns its location when written. */
export const record = (
  item: { readonly sourceType: string; readonly externalId: string },
  infos: ReadonlyArray<{ readonly key: { readonly artifactType: string } }>,
  declined: DeclinedRecord
) =>
  Effect.gen(function* () {
    if (infos.some((i) => i.key.artifactType === nameOf(declined.artifact))) return undefined
    const key = { ...item, artifactType: nameOf(declined.artifact), ext: "json" }
    return yield* ItemArtifacts.putJson(key, declined).pipe(
      Effect.map((result) => result.location),
      // Another fetcher recorded it first (or with another URL): one record is enough.
      Effect.catchTag("ArtifactConflict", () => Effect.succeed(location(key)))
    )
  })

/** The artifact names of downloaded media. */
const MEDIA = new Set(["audio", "video"])

/**
 * Records that the item's media will not be transcribed because no transcriber is configured, when it
 * has downloaded media and neither a transcript nor such a record.
 */
export const transcriptionOff = (item: { readonly sourceType: string; readonly externalId: string }) =>
  Effect.gen(function* () {
    const infos = yield* (yield* BronzeReader).listItem(item)
    const names = new Set(infos.map((i) => i.key.artifactType))
    if (!infos.some((i) => MEDIA.has(i.key.artifactType)) || names.has("transcript")) return undefined
    return yield* record(item, infos, {
      artifact: "transcript",
      reason: "disabled",
      message: "transcription is not enabled on the fetch daemon (transcription.enabled)"
    })
  })
