/**
 * Writes a row's plan into bronze through `BronzeWriter`, the way the fetch side stores what it fetched:
 * a value bronze already holds (any version with the same bytes) is not written again, a first value
 * takes the plain name (`article.html`), a changed value a new version stamped with the row's time
 * (`article@2026-11-27T05-00-00Z.html`), never an overwrite. Response records take their document's
 * stamp, as the transform pairs them. The provenance record comes last, so a row whose record is in
 * bronze is complete.
 */
import {
  type ArtifactConflict,
  type ArtifactInfo,
  ArtifactKey as ArtifactKeySchema,
  type BronzeIoError,
  type InvalidKey,
  BronzeReader,
  BronzeWriter
} from "@medallion/bronze"
import type { ArtifactKey } from "@medallion/bronze"
import { ItemArtifacts } from "@medallion/workers/records"
import { Clock, Effect, Schema } from "effect"
import type { PlannedArtifact, Planned } from "./RowPlan.ts"

export interface ImportResult {
  /** Artifacts written by this call. */
  readonly written: number
  readonly writtenBytes: number
  /** Artifacts bronze already held with these bytes. */
  readonly unchanged: number
}

/** Bronze holds other bytes under the row's version stamp and under the import's own: the row is given up. */
export class VersionTaken extends Schema.TaggedError<VersionTaken>()("VersionTaken", { key: ArtifactKeySchema }) {}

const stampOf = (artifactType: string): string => {
  const at = artifactType.indexOf("@")
  return at === -1 ? "" : artifactType.slice(at + 1)
}

export const importRow = (
  plan: Planned
): Effect.Effect<ImportResult, BronzeIoError | InvalidKey | VersionTaken, BronzeReader | BronzeWriter> =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const writer = yield* BronzeWriter
    const infos: Array<ArtifactInfo> = [...(yield* reader.listItem(plan.item))]
    let written = 0
    let writtenBytes = 0
    let unchanged = 0
    /** Each document of this row: the version stamp it is stored under ("" for the plain name), and whether this call wrote it. */
    const documents = new Map<string, { readonly stamp: string; readonly writtenNow: boolean }>()

    const put = (
      key: ArtifactKey,
      bytes: Uint8Array
    ): Effect.Effect<boolean, BronzeIoError | InvalidKey | ArtifactConflict> =>
      Effect.map(writer.put(key, bytes), (result) => {
        infos.push(result)
        if (result.outcome === "written") {
          written++
          writtenBytes += result.size
        } else unchanged++
        return true
      })

    const store = (a: PlannedArtifact) =>
      Effect.gen(function* () {
        const versions = ItemArtifacts.versions(infos, a.name).filter((v) => v.info.key.ext === a.ext)
        const same = versions.find((v) => v.info.sha256 === a.sha256)
        // (A response record is found by its document's stamp, not by its bytes: see below.)
        if (
          a.documentOf === undefined &&
          same !== undefined &&
          (a.fixedType === undefined || same.info.key.artifactType === a.fixedType)
        ) {
          unchanged++
          documents.set(a.name, { stamp: stampOf(same.info.key.artifactType), writtenNow: false })
          return
        }
        let candidates: ReadonlyArray<string>
        if (a.documentOf !== undefined) {
          // A response record goes with its document, under the same stamp; a document already stored
          // keeps the record it was stored with (the fetch side writes one only with a new document).
          const document = documents.get(a.documentOf)
          if (document === undefined) return
          const artifactType = document.stamp === "" ? a.name : `${a.name}@${document.stamp}`
          if (!document.writtenNow && versions.some((v) => v.info.key.artifactType === artifactType)) {
            unchanged++
            return
          }
          candidates = [artifactType]
        } else if (a.fixedType !== undefined) {
          candidates = [a.fixedType]
        } else if (versions.length === 0 && !a.alwaysStamped) {
          candidates = [a.name]
        } else {
          const now = ItemArtifacts.formatStamp(yield* Clock.currentTimeMillis)
          // The row's time names the version; should another value hold that stamp, the time of the import.
          candidates = plan.stamp === undefined ? [`${a.name}@${now}`] : [`${a.name}@${plan.stamp}`, `${a.name}@${now}`]
        }
        const bytes = a.bytes
        if (bytes === undefined)
          return yield* Effect.die(new Error(`${a.name}.${a.ext}: a plan read as digests cannot be written`))
        for (const artifactType of candidates) {
          const key: ArtifactKey = { ...plan.item, artifactType, ext: a.ext }
          const stored = yield* put(key, bytes).pipe(Effect.catchTag("ArtifactConflict", () => Effect.succeed(false)))
          if (stored) {
            documents.set(a.name, { stamp: stampOf(artifactType), writtenNow: true })
            return
          }
        }
        return yield* new VersionTaken({
          key: { ...plan.item, artifactType: candidates[candidates.length - 1]!, ext: a.ext }
        })
      })

    for (const a of plan.artifacts) yield* store(a)
    yield* store(plan.legacyRow)
    return { written, writtenBytes, unchanged }
  })
