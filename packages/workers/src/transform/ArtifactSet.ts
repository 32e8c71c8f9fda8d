/**
 * The artifacts of one item, as `listItem` returned them once, grouped by name (the artifact type
 * without its version stamp). For a name fetched more than once the newest version wins: version
 * stamps are ISO-like instants, so the greatest stamp is the newest; ties (and unstamped names) fall
 * back to the writer's time, then to the location, so the choice is deterministic.
 */
import { DateTime, Effect } from "effect"
import { BronzeReader, type ArtifactInfo, type ItemKey } from "@medallion/bronze"
import type { Item } from "@medallion/silver"

/** `comments` for `comments@2026-11-27T05-00-00Z`. */
export const artifactName = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? artifactType : artifactType.slice(0, at)
}

/** The version stamp of `comments@2026-11-27T05-00-00Z`, or `""` for an unstamped artifact. */
export const versionStamp = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? "" : artifactType.slice(at + 1)
}

/** Newest first. */
export const compareNewestFirst = (a: ArtifactInfo, b: ArtifactInfo): number => {
  const sa = versionStamp(a.key.artifactType)
  const sb = versionStamp(b.key.artifactType)
  if (sa !== sb) return sa < sb ? 1 : -1
  if (a.writtenAt !== b.writtenAt) return b.writtenAt - a.writtenAt
  return a.location < b.location ? 1 : a.location > b.location ? -1 : 0
}

export const refOf = (info: ArtifactInfo): Item.ArtifactRef => ({
  artifactType: info.key.artifactType,
  ext: info.key.ext
})

export const provenanceOf = (info: ArtifactInfo): Item.Artifact => ({
  artifactType: info.key.artifactType,
  ext: info.key.ext,
  sha256: info.sha256,
  size: info.size,
  location: info.location,
  writtenAt: DateTime.makeUnsafe(info.writtenAt)
})

/** `comments@2026-11-27T05-00-00Z.json`: how reasons name an artifact. */
export const describe = (info: ArtifactInfo): string => `${info.key.artifactType}.${info.key.ext}`

export interface ArtifactSet {
  readonly item: ItemKey
  readonly all: ReadonlyArray<ArtifactInfo>
  /** The newest artifact with this name, if any. */
  readonly newest: (name: string) => ArtifactInfo | undefined
  /** Every version with this name, newest first. */
  readonly versions: (name: string) => ReadonlyArray<ArtifactInfo>
  /** The newest artifact of each name, newest first overall. */
  readonly newestOfEach: ReadonlyArray<ArtifactInfo>
  /** The names present. */
  readonly names: ReadonlyArray<string>
}

export const fromList = (item: ItemKey, all: ReadonlyArray<ArtifactInfo>): ArtifactSet => {
  const byName = new Map<string, Array<ArtifactInfo>>()
  for (const info of all) {
    const name = artifactName(info.key.artifactType)
    const list = byName.get(name)
    if (list === undefined) byName.set(name, [info])
    else list.push(info)
  }
  for (const list of byName.values()) list.sort(compareNewestFirst)
  const newestOfEach = Array.from(byName.values(), (list) => list[0]!).sort((a, b) =>
    a.writtenAt !== b.writtenAt ? b.writtenAt - a.writtenAt : compareNewestFirst(a, b)
  )
  return {
    item,
    all,
    newest: (name) => byName.get(name)?.[0],
    versions: (name) => byName.get(name) ?? [],
    newestOfEach,
    names: Array.from(byName.keys()).sort()
  }
}

/**
 * Why an artifact's bytes could not be had. `oversized` is bad input (the item fails with the reason);
 * `io` is the store's failure, not the item's (the item is retried, its rows are left as they are).
 */
export type ReadFailure =
  { readonly _tag: "Oversized"; readonly reason: string } | { readonly _tag: "Io"; readonly reason: string }

export type ReadResult = { readonly _tag: "Bytes"; readonly bytes: Uint8Array } | ReadFailure

/**
 * Reads an artifact whole, refusing one larger than `maxBytes` from its catalog size without reading
 * it, so a 100 MB page never reaches memory.
 */
export const read = (info: ArtifactInfo, maxBytes: number): Effect.Effect<ReadResult, never, BronzeReader> => {
  if (info.size > maxBytes) {
    return Effect.succeed({
      _tag: "Oversized",
      reason: `${describe(info)} has ${info.size} bytes, over the transform's limit of ${maxBytes} for this artifact`
    })
  }
  return BronzeReader.use((reader) => reader.get(info.key)).pipe(
    Effect.map((bytes): ReadResult => ({ _tag: "Bytes", bytes })),
    Effect.catch((error) =>
      Effect.succeed<ReadResult>({ _tag: "Io", reason: `bronze could not read ${describe(info)}: ${error.message}` })
    )
  )
}
