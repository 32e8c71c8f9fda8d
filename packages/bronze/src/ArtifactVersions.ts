/**
 * The versions of an item's artifacts (`comments`, `comments@2026-11-27T05-00-00Z`, ...) and which of
 * them a retention policy lets go. Bronze never deletes by itself: this only chooses, and
 * `BronzePurge.removeArtifacts` deletes what an operator's retention pass chose.
 *
 * The newest version of every name is always kept, whatever the policy: the fetch side reads it back
 * to decide what to fetch next, and the transform derives from it.
 */
import type { ArtifactInfo } from "./ArtifactKey.ts"

/** Keep the newest `keepVersions` of each name, and every version younger than `keepForMs`. */
export interface RetentionPolicy {
  readonly keepVersions?: number | undefined
  readonly keepForMs?: number | undefined
}

/** `comments` for `comments@2026-11-27T05-00-00Z`. */
export const versionName = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? artifactType : artifactType.slice(0, at)
}

/** The stamp of `comments@2026-11-27T05-00-00Z`, or `""` for an unstamped (first) version. */
export const versionStamp = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? "" : artifactType.slice(at + 1)
}

/** When a version was fetched: its stamp's instant (`2026-11-27T05-00-00Z`), else its write time. */
export const versionTime = (info: ArtifactInfo): number => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(versionStamp(info.key.artifactType))
  const t = m === null ? Number.NaN : Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`)
  return Number.isNaN(t) ? info.writtenAt : t
}

/**
 * Newest first, as the transform chooses: the greatest stamp (stamps are ISO-like instants; unstamped
 * is the first version), then the write time, then the location, so the order is deterministic.
 */
export const compareNewestFirst = (a: ArtifactInfo, b: ArtifactInfo): number => {
  const sa = versionStamp(a.key.artifactType)
  const sb = versionStamp(b.key.artifactType)
  if (sa !== sb) return sa < sb ? 1 : -1
  if (a.writtenAt !== b.writtenAt) return b.writtenAt - a.writtenAt
  return a.location < b.location ? 1 : a.location > b.location ? -1 : 0
}

/** The item's artifacts grouped by name (and extension), each group newest first. */
export const byName = (artifacts: ReadonlyArray<ArtifactInfo>): ReadonlyMap<string, ReadonlyArray<ArtifactInfo>> => {
  const groups = new Map<string, Array<ArtifactInfo>>()
  for (const info of artifacts) {
    const name = `${versionName(info.key.artifactType)}.${info.key.ext}`
    const group = groups.get(name)
    if (group === undefined) groups.set(name, [info])
    else group.push(info)
  }
  for (const group of groups.values()) group.sort(compareNewestFirst)
  return groups
}

/**
 * The versions the policy lets go, by location: a version goes only when no rule of the policy keeps
 * it (beyond the newest `keepVersions` and older than `keepForMs`, for the rules that are set), it is
 * not the newest of its name, and `pinned` (what silver derives from) does not hold it. A policy with
 * no rule keeps everything.
 */
export const beyondPolicy = (
  artifacts: ReadonlyArray<ArtifactInfo>,
  policy: RetentionPolicy,
  now: number,
  pinned: (info: ArtifactInfo) => boolean = () => false
): ReadonlyArray<ArtifactInfo> => {
  if (policy.keepVersions === undefined && policy.keepForMs === undefined) return []
  const out: Array<ArtifactInfo> = []
  for (const group of byName(artifacts).values()) {
    group.forEach((info, rank) => {
      if (rank === 0) return
      if (policy.keepVersions !== undefined && rank < policy.keepVersions) return
      if (policy.keepForMs !== undefined && versionTime(info) > now - policy.keepForMs) return
      if (pinned(info)) return
      out.push(info)
    })
  }
  return out.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
}
