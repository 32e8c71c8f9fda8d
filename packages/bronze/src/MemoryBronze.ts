/**
 * The raw store in memory, for users' unit tests: the same services with the same semantics as the
 * filesystem store (write-once, conflicts, scan order, index lines and byte offsets), plus an inspectable
 * `MemoryBronze` service. It passes the same contract suite as the filesystem store.
 */
import { Clock, Context, Effect, Layer, Option, Stream } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import type { CatalogMode } from "./BronzeConfig.ts"
import { ArtifactConflict, ArtifactNotFound } from "./BronzeErrors.ts"
import { BronzeMaintenance, type BronzeMaintenanceShape } from "./BronzeMaintenance.ts"
import { BronzeReader, type BronzeReaderShape } from "./BronzeReader.ts"
import { BronzeWriter, type BronzeWriterShape } from "./BronzeWriter.ts"
import { ABSENT_INDEX_ID, type ScannedArtifact } from "./Catalog.ts"
import * as CatalogChanges from "./CatalogChanges.ts"
import * as CatalogIndex from "./CatalogIndex.ts"
import * as CatalogScan from "./CatalogScan.ts"
import { byLocation, sha256Of, validateKey, validateLookup, validateLookupItem } from "./StoreInputs.ts"

export interface MemoryBronzeOptions {
  /** Default `scan`, like the filesystem store; `index` also keeps an `_index.jsonl` image in memory. */
  readonly catalog?: CatalogMode | undefined
}

interface Stored {
  readonly info: ArtifactKey.ArtifactInfo
  readonly bytes: Uint8Array
}

let instances = 0

export class MemoryBronze extends Context.Service<
  MemoryBronze,
  {
    /** Every stored artifact, sorted by location. */
    readonly artifacts: Effect.Effect<ReadonlyArray<ArtifactKey.ArtifactInfo>>
    /** The bytes of the in-memory `_index.jsonl` (empty in scan mode). */
    readonly indexText: Effect.Effect<string>
  }
>()("@medallion/bronze/MemoryBronze") {
  /** Writer, reader, maintenance and the inspector, in a fresh store (one per layer build), in scan mode. */
  static readonly layer = layerWith({})

  /** As `layer`, in the given catalog mode. */
  static readonly layerWith = layerWith
}

const make = (options: MemoryBronzeOptions) => {
  const catalog = options.catalog ?? "scan"
  const artifacts = new Map<string, Stored>()
  const indexId = `memory.${(instances++).toString(36)}`
  let index = new Uint8Array(1024)
  let indexLength = 0
  const encoder = new TextEncoder()

  const appendIndex = (line: string): void => {
    const bytes = encoder.encode(line)
    if (indexLength + bytes.length > index.length) {
      const grown = new Uint8Array(Math.max(index.length * 2, indexLength + bytes.length))
      grown.set(index.subarray(0, indexLength))
      index = grown
    }
    index.set(bytes, indexLength)
    indexLength += bytes.length
  }

  const commit = (
    key: ArtifactKey.ArtifactKey,
    bytes: Uint8Array
  ): Effect.Effect<ArtifactKey.PutResult, ArtifactConflict> =>
    Effect.gen(function* () {
      const location = ArtifactKey.location(key)
      const sha256 = sha256Of(bytes)
      const existing = artifacts.get(location)
      if (existing !== undefined) {
        if (existing.info.sha256 !== sha256) {
          return yield* new ArtifactConflict({ key, existingSha256: existing.info.sha256, attemptedSha256: sha256 })
        }
        return { ...existing.info, outcome: "unchanged" as const }
      }
      const writtenAt = yield* Clock.currentTimeMillis
      const info: ArtifactKey.ArtifactInfo = { key, size: bytes.length, sha256, writtenAt, location }
      // Copied so that a caller reusing its buffer cannot change a stored artifact.
      artifacts.set(location, { info, bytes: bytes.slice() })
      if (catalog === "index") appendIndex(CatalogIndex.encodeIndexLine(info))
      return { ...info, outcome: "written" as const }
    })

  const writer: BronzeWriterShape = {
    put: Effect.fn("BronzeWriter.put")(function* (key: ArtifactKey.ArtifactKey, bytes: Uint8Array) {
      return yield* commit(yield* validateKey(key), bytes)
    }),
    putStream: <E>(key: ArtifactKey.ArtifactKey, body: Stream.Stream<Uint8Array, E>) =>
      Effect.gen(function* () {
        const valid = yield* validateKey(key)
        const chunks = yield* Stream.runCollect(body)
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
        let offset = 0
        for (const chunk of chunks) {
          bytes.set(chunk, offset)
          offset += chunk.length
        }
        return yield* commit(valid, bytes)
      }).pipe(Effect.withSpan("BronzeWriter.putStream"))
  }

  const lookup = (key: ArtifactKey.ArtifactKey) =>
    Effect.map(validateLookup(key), (valid) => ({ valid, stored: artifacts.get(ArtifactKey.location(valid)) }))

  const scan: BronzeReaderShape["scan"] = Effect.fn("BronzeReader.scan")(function* (scanOptions) {
    const kept = new CatalogScan.SmallestK<ScannedArtifact>(Math.max(0, Math.floor(scanOptions.limit)))
    for (const { info } of artifacts.values()) {
      const entry = { ...info, mtimeMs: info.writtenAt, linked: true }
      if (scanOptions.after === undefined || CatalogScan.compareScanOrder(entry, scanOptions.after) > 0) {
        kept.offer(entry)
      }
    }
    return { entries: kept.sorted(), complete: kept.complete }
  })

  const tailIndex: BronzeReaderShape["tailIndex"] = Effect.fn("BronzeReader.tailIndex")(function* (tailOptions) {
    if (indexLength === 0) {
      const replaced =
        tailOptions.offset > 0 || (tailOptions.indexId !== undefined && tailOptions.indexId !== ABSENT_INDEX_ID)
      return { indexId: ABSENT_INDEX_ID, entries: [], nextOffset: 0, replaced }
    }
    const otherFile =
      tailOptions.indexId !== undefined && tailOptions.indexId !== indexId && tailOptions.indexId !== ABSENT_INDEX_ID
    const replaced = otherFile || tailOptions.offset > indexLength
    const start = replaced || tailOptions.indexId === ABSENT_INDEX_ID ? 0 : tailOptions.offset
    const parsed = CatalogIndex.parseIndexBytes(index.subarray(start, indexLength), start, tailOptions.maxEntries)
    return { indexId, entries: parsed.entries, nextOffset: start + parsed.consumed, replaced }
  })

  const reader: BronzeReaderShape = {
    get: Effect.fn("BronzeReader.get")(function* (key: ArtifactKey.ArtifactKey) {
      const { stored, valid } = yield* lookup(key)
      if (stored === undefined) return yield* new ArtifactNotFound({ key: valid })
      return stored.bytes.slice()
    }),
    stream: (key: ArtifactKey.ArtifactKey) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const { stored, valid } = yield* lookup(key)
          if (stored === undefined) return yield* new ArtifactNotFound({ key: valid })
          const chunks: Array<Uint8Array> = []
          for (let i = 0; i < stored.bytes.length; i += 64 * 1024) chunks.push(stored.bytes.slice(i, i + 64 * 1024))
          return Stream.fromIterable(chunks)
        })
      ),
    stat: Effect.fn("BronzeReader.stat")(function* (key: ArtifactKey.ArtifactKey) {
      const { stored } = yield* lookup(key)
      return Option.fromUndefinedOr(stored?.info)
    }),
    listItem: Effect.fn("BronzeReader.listItem")(function* (item: ArtifactKey.ItemKey) {
      const valid = yield* validateLookupItem(item)
      const prefix = ArtifactKey.itemLocation(valid) + "/"
      return [...artifacts.values()]
        .filter(({ info }) => info.location.startsWith(prefix))
        .map(({ info }) => info)
        .sort(byLocation)
    }),
    scan,
    tailIndex,
    changes: CatalogChanges.make(catalog, { scan, tailIndex })
  }

  const maintenance: BronzeMaintenanceShape = {
    reconcile: Effect.fn("BronzeMaintenance.reconcile")(function* (reconcileOptions) {
      const since = reconcileOptions?.since
      let restoredIndexLines = 0
      if (catalog === "index") {
        const known = new Set<string>()
        const all = CatalogIndex.parseIndexBytes(index.subarray(0, indexLength), 0, Number.MAX_SAFE_INTEGER)
        for (const entry of all.entries) known.add(entry.info.location)
        const missing = [...artifacts.values()]
          .map(({ info }) => info)
          .filter((info) => (since === undefined || info.writtenAt >= since) && !known.has(info.location))
          .sort((a, b) =>
            CatalogScan.compareScanOrder(
              { mtimeMs: a.writtenAt, location: a.location },
              { mtimeMs: b.writtenAt, location: b.location }
            )
          )
        for (const info of missing) appendIndex(CatalogIndex.encodeIndexLine(info))
        restoredIndexLines = missing.length
      }
      // Checking memory takes no time worth showing: one report, at the end.
      if (reconcileOptions?.onProgress !== undefined) {
        yield* reconcileOptions.onProgress({ done: artifacts.size, total: artifacts.size, elapsedMs: 0 })
      }
      // Memory has no torn lines and no temp files: a crash loses the whole store.
      return { restoredIndexLines, repairedTornLine: false, removedTempFiles: 0, scannedArtifacts: artifacts.size }
    })
  }

  const inspector = MemoryBronze.of({
    artifacts: Effect.sync(() => [...artifacts.values()].map(({ info }) => info).sort(byLocation)),
    indexText: Effect.sync(() => new TextDecoder().decode(index.subarray(0, indexLength)))
  })

  return { writer, reader, maintenance, inspector }
}

// A hoisted function: the class statics above call it while the class is being defined; the store itself
// is created lazily, when the layer is built.
function layerWith(
  options: MemoryBronzeOptions
): Layer.Layer<BronzeWriter | BronzeReader | BronzeMaintenance | MemoryBronze> {
  return Layer.effectContext(
    Effect.sync(() => {
      const services = make(options)
      return Context.make(BronzeWriter, services.writer).pipe(
        Context.add(BronzeReader, services.reader),
        Context.add(BronzeMaintenance, services.maintenance),
        Context.add(MemoryBronze, services.inspector)
      )
    })
  )
}
