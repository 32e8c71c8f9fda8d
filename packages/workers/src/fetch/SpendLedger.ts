/**
 * Daily spend of a paid API, kept in bronze (not in memory, not in silver): one
 * small `use@<stamp>.<n>.json` artifact per call under `spend/<kind>:<day>`, so
 * a restart, a second process or a crash cannot reset the count. Reading a
 * day's usage lists one folder, bounded by the daily limit itself.
 */
import { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, DateTime, Effect } from "effect"
import * as ItemArtifacts from "./ItemArtifacts.ts"

export const SOURCE_TYPE = "spend"

export interface Usage {
  readonly items: number
  readonly minutes: number
  readonly tokens: number
}

export interface UseRecord {
  readonly item: string
  readonly minutes?: number | undefined
  readonly tokens?: number | undefined
}

const dayOf = (millis: number): string => DateTime.formatIsoDate(DateTime.makeUnsafe(millis))

const dayId = (kind: string, millis: number) => `${kind}:${dayOf(millis)}`

/** Today's (UTC) usage of `kind`. */
export const today = (kind: string) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const now = yield* Clock.currentTimeMillis
    const infos = yield* reader.listItem({ sourceType: SOURCE_TYPE, externalId: dayId(kind, now) })
    let minutes = 0
    let tokens = 0
    for (const info of infos) {
      const bytes = yield* reader.get(info.key)
      const record = JSON.parse(new TextDecoder().decode(bytes)) as UseRecord
      minutes += record.minutes ?? 0
      tokens += record.tokens ?? 0
    }
    return { items: infos.length, minutes, tokens } satisfies Usage
  })

/** Records one use today. Concurrent writers never overwrite each other: the sequence number moves on. */
export const record = (kind: string, use: UseRecord) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    const reader = yield* BronzeReader
    const now = yield* Clock.currentTimeMillis
    const externalId = dayId(kind, now)
    const stamp = ItemArtifacts.formatStamp(now)
    const existing = yield* reader.listItem({ sourceType: SOURCE_TYPE, externalId })
    const bytes = new TextEncoder().encode(
      JSON.stringify({ ...use, at: DateTime.formatIso(DateTime.makeUnsafe(now)) }) + "\n"
    )
    for (let n = existing.length + 1; ; n++) {
      const put = yield* Effect.result(
        writer.put({ sourceType: SOURCE_TYPE, externalId, artifactType: `use@${stamp}.${n}`, ext: "json" }, bytes)
      )
      if (put._tag === "Success") return put.success
      if (put.failure._tag !== "ArtifactConflict") return yield* put.failure
    }
  })
