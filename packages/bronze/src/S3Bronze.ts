/**
 * The raw store on an S3-compatible object store, giving `BronzeWriter`, `BronzeReader` and
 * `BronzeMaintenance` with the semantics of the filesystem store (the same contract suite runs on both).
 *
 * - Object keys are `{prefix}{location}`; sha256, `writtenAt` (the writer's Clock, not the server's
 *   `LastModified`) and, for large artifacts, the blob they point at are object metadata, so `stat`,
 *   `listItem` and `scan` never read the bytes.
 * - Write-once is the server's conditional put (`If-None-Match: *`): a 412 becomes `unchanged` or
 *   `ArtifactConflict` after comparing sha256.
 * - Large streams go through a multipart upload under a unique blob key, then a small conditional put
 *   at the artifact key points at it (servers such as Ceph radosgw do not enforce the condition on
 *   `CompleteMultipartUpload`). The loser of a race deletes its blob; `reconcile` removes blobs nobody
 *   points at once they are older than the grace period, and aborts stale uploads.
 */
import { createHash, randomBytes } from "node:crypto"
import type { Readable } from "node:stream"
import { Clock, Context, Effect, Layer, Option, type Scope, Stream } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { ArtifactConflict, ArtifactNotFound, BronzeIoError } from "./BronzeErrors.ts"
import { BronzeMaintenance, type BronzeMaintenanceShape } from "./BronzeMaintenance.ts"
import { BronzeReader, type BronzeReaderShape } from "./BronzeReader.ts"
import { BronzeWriter, type BronzeWriterShape } from "./BronzeWriter.ts"
import type { ReconcileReport, ScanPage, ScannedArtifact, UnresolvedArtifact } from "./Catalog.ts"
import * as CatalogChanges from "./CatalogChanges.ts"
import * as CatalogIndex from "./CatalogIndex.ts"
import * as CatalogScan from "./CatalogScan.ts"
import * as ItemRecord from "./ItemRecord.ts"
import * as ReconcileProgress from "./ReconcileProgress.ts"
import { type ResolvedS3Options, resolveOptions, type S3BronzeOptions } from "./S3BronzeOptions.ts"
import * as S3Index from "./S3Index.ts"
import * as S3ObjectStore from "./S3ObjectStore.ts"
import * as WriteOnce from "./WriteOnce.ts"
import { byLocation, sha256Of, validateKey, validateLookup, validateLookupItem } from "./StoreInputs.ts"

export type { S3BronzeOptions } from "./S3BronzeOptions.ts"

/** Object metadata keys (S3 lowercases them). */
const META_SHA256 = "bronze-sha256"
const META_WRITTEN_AT = "bronze-written-at"
const META_SIZE = "bronze-size"
const META_BLOB = "bronze-blob"

/** Where large artifacts keep their bytes: `_blobs/{location}/{startedAt}-{random}`. */
const BLOB_FOLDER = "_blobs/"

/** Listing the artifacts starts after this: every key of the store's own (`_index/`, `_blobs/`) sorts below it. */
const AFTER_OWN_KEYS = "`"

const textOf = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** What the store knows of an artifact object from its HEAD. */
interface Stored {
  readonly size: number
  readonly sha256: string
  readonly writtenAt: number
  /** Object key of the bytes when the artifact is a pointer to a blob. */
  readonly blob: string | undefined
}

/** An artifact found by listing, with what its HEAD said. */
interface Listed {
  readonly location: string
  readonly mtimeMs: number
  readonly stored: Stored
  readonly parsed: ArtifactKey.ParsedLocation
}

/** Artifacts are immutable, so what a HEAD said stays true while the ETag is the same; bounded. */
class HeadCache {
  private readonly entries = new Map<string, { readonly etag: string; readonly stored: Stored }>()
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  get(location: string, etag: string): Stored | undefined {
    const hit = this.entries.get(location)
    return hit !== undefined && hit.etag === etag ? hit.stored : undefined
  }
  set(location: string, etag: string, stored: Stored): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(location, { etag, stored })
  }
}

interface Services {
  readonly writer: BronzeWriterShape
  readonly reader: BronzeReaderShape
  readonly maintenance: BronzeMaintenanceShape
  /** Fails unless the bucket exists and the credentials may use it. */
  readonly checkBucket: Effect.Effect<void, BronzeIoError>
}

const unique = (): string => randomBytes(8).toString("hex")

/** The three services over one bucket and prefix; the index committer runs in the scope. */
export const make = (options: ResolvedS3Options): Effect.Effect<Services, never, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* S3ObjectStore.makeClient(options)
    const store = S3ObjectStore.make(client, options)
    const index = S3Index.make(store, options.prefix)
    const { append } = yield* index.appender
    const prefix = options.prefix
    const objectKey = (location: string) => prefix + location
    const heads = new HeadCache(100_000)

    /** Reads `Stored` from a HEAD; an object without the store's metadata (put by hand) is hashed. */
    const storedOf = (location: string, head: S3ObjectStore.ObjectHead): Effect.Effect<Stored, BronzeIoError> =>
      Effect.gen(function* () {
        const writtenAt = Number(head.metadata[META_WRITTEN_AT])
        const blob = head.metadata[META_BLOB]
        let sha256 = head.metadata[META_SHA256]
        let size = blob === undefined ? head.size : Number(head.metadata[META_SIZE])
        if (sha256 === undefined) {
          const bytes = yield* store.getBytes(objectKey(location), location)
          const body = Option.getOrElse(bytes, () => new Uint8Array(0))
          sha256 = sha256Of(body)
          size = body.length
        }
        return {
          size,
          sha256,
          writtenAt: Number.isFinite(writtenAt) ? writtenAt : head.lastModified,
          blob
        }
      })

    const stored = (location: string): Effect.Effect<Option.Option<Stored>, BronzeIoError> =>
      Effect.flatMap(store.head(objectKey(location), location), (head) =>
        Option.isNone(head)
          ? Effect.succeed(Option.none())
          : Effect.map(storedOf(location, head.value), (s) => {
              heads.set(location, head.value.etag, s)
              return Option.some(s)
            })
      )

    const infoOf = (key: ArtifactKey.ArtifactKey, location: string, s: Stored): ArtifactKey.ArtifactInfo => ({
      key,
      size: s.size,
      sha256: s.sha256,
      writtenAt: s.writtenAt,
      location
    })

    /** The answer when the key already holds an artifact (`WriteOnce`). */
    /** `read`: what the key holds, when the caller already knows (else it is read). */
    const existingOutcome = (
      key: ArtifactKey.ArtifactKey,
      location: string,
      attemptedSha256: string,
      read: Effect.Effect<Option.Option<Stored>, BronzeIoError> = stored(location)
    ) =>
      WriteOnce.takenKeyOutcome({
        key,
        location,
        attemptedSha256,
        stored: Effect.map(
          read,
          Option.map((s) => infoOf(key, location, s))
        ),
        takenBecause: "a refused conditional put"
      })

    /** Writes the id record of a hashed item once, and checks an existing one names the same id. */
    const ensureItemRecord = (key: ArtifactKey.ArtifactKey): Effect.Effect<void, BronzeIoError> =>
      Effect.gen(function* () {
        const recordLocation = `${ArtifactKey.itemLocation(key)}/${ArtifactKey.ITEM_RECORD_NAME}`
        const read = store.getBytes(objectKey(recordLocation), recordLocation)
        let bytes = yield* read
        if (Option.isNone(bytes)) {
          const record = new TextEncoder().encode(ItemRecord.encode(key))
          // Created by this call: it holds this item's id. Refused: another writer's record, read below.
          if (yield* store.putIfAbsent(objectKey(recordLocation), recordLocation, record, {})) return
          bytes = yield* read
        }
        yield* ItemRecord.checkOwner(Option.map(bytes, textOf), key, recordLocation)
      })

    const prepare = (key: ArtifactKey.ArtifactKey) =>
      ArtifactKey.isHashedSegment(ArtifactKey.encodeExternalId(key.externalId)) ? ensureItemRecord(key) : Effect.void

    const indexed = (info: ArtifactKey.ArtifactInfo): Effect.Effect<void, BronzeIoError> =>
      options.catalog === "index" ? append(CatalogIndex.encodeIndexLine(info)) : Effect.void

    /** Conditionally puts the object at the artifact key (bytes, or a pointer to a blob). */
    const commit = (
      key: ArtifactKey.ArtifactKey,
      location: string,
      body: Uint8Array,
      s: Stored
    ): Effect.Effect<ArtifactKey.PutResult, ArtifactConflict | BronzeIoError> =>
      Effect.gen(function* () {
        const metadata: Record<string, string> = {
          [META_SHA256]: s.sha256,
          [META_WRITTEN_AT]: String(s.writtenAt)
        }
        if (s.blob !== undefined) {
          metadata[META_BLOB] = s.blob
          metadata[META_SIZE] = String(s.size)
        }
        const created = yield* store.putIfAbsent(objectKey(location), location, body, metadata)
        if (!created) {
          if (s.blob !== undefined) yield* store.delete(s.blob, location)
          return yield* existingOutcome(key, location, s.sha256)
        }
        const info = infoOf(key, location, s)
        yield* indexed(info)
        return { ...info, outcome: "written" as const }
      })

    const putSmall = (key: ArtifactKey.ArtifactKey, location: string, bytes: Uint8Array, writtenAt: number) =>
      Effect.gen(function* () {
        yield* prepare(key)
        return yield* commit(key, location, bytes, {
          size: bytes.length,
          sha256: sha256Of(bytes),
          writtenAt,
          blob: undefined
        })
      })

    const writer: BronzeWriterShape = {
      put: Effect.fn("BronzeWriter.put")(function* (key: ArtifactKey.ArtifactKey, bytes: Uint8Array) {
        const valid = yield* validateKey(key)
        const location = ArtifactKey.location(valid)
        // Most repeated puts are refetches of the same bytes: answer them with one HEAD.
        const existing = yield* stored(location)
        if (Option.isSome(existing)) {
          return yield* existingOutcome(valid, location, sha256Of(bytes), Effect.succeed(existing))
        }
        return yield* putSmall(valid, location, bytes, yield* Clock.currentTimeMillis)
      }),
      putStream: <E>(key: ArtifactKey.ArtifactKey, body: Stream.Stream<Uint8Array, E>) =>
        Effect.gen(function* () {
          const valid = yield* validateKey(key)
          const location = ArtifactKey.location(valid)
          const writtenAt = yield* Clock.currentTimeMillis
          const hash = createHash("sha256")
          let size = 0
          // One part in memory at most: below the part size the stream is simply buffered.
          let buffered: Array<Uint8Array> = []
          let bufferedSize = 0
          let upload: S3ObjectStore.PendingUpload | undefined
          const etags: Array<string> = []
          const flush = Effect.gen(function* () {
            if (upload === undefined) {
              const blobKey = `${prefix}${BLOB_FOLDER}${location}/${writtenAt}-${unique()}`
              upload = { key: blobKey, uploadId: yield* store.createUpload(blobKey, location) }
            }
            const part = concat(buffered, bufferedSize)
            buffered = []
            bufferedSize = 0
            etags.push(yield* store.uploadPart(upload, location, etags.length + 1, part))
          })
          const upload_ = Effect.gen(function* () {
            yield* Stream.runForEach(body, (chunk) => {
              hash.update(chunk)
              size += chunk.length
              buffered.push(chunk)
              bufferedSize += chunk.length
              return bufferedSize >= options.partSize ? flush : Effect.void
            })
            if (upload === undefined) return undefined
            if (bufferedSize > 0) yield* flush
            yield* store.completeUpload(upload, location, etags)
            return upload.key
          }).pipe(
            // An unfinished upload is invisible; abort it so it holds no space (reconcile is the backstop).
            Effect.onError(() =>
              upload === undefined ? Effect.void : Effect.ignore(store.abortUpload(upload, location))
            )
          )
          const blob = yield* upload_
          if (blob === undefined) return yield* putSmall(valid, location, concat(buffered, bufferedSize), writtenAt)
          yield* prepare(valid).pipe(Effect.onError(() => Effect.ignore(store.delete(blob, location))))
          return yield* commit(valid, location, new Uint8Array(0), {
            size,
            sha256: hash.digest("hex"),
            writtenAt,
            blob
          })
        }).pipe(Effect.withSpan("BronzeWriter.putStream"))
    }

    /** The original id of an item prefix: decoded from its segment, or read from its record when hashed. */
    const resolveExternalId = (
      sourceType: string,
      segment: string,
      decoded: ArtifactKey.DecodedSegment
    ): Effect.Effect<ItemRecord.RecordedId, BronzeIoError> => {
      if (decoded._tag === "Id") return Effect.succeed(decoded)
      const recordLocation = `${sourceType}/${segment}/${ArtifactKey.ITEM_RECORD_NAME}`
      return Effect.map(store.getBytes(objectKey(recordLocation), recordLocation), (bytes) =>
        ItemRecord.idOf(Option.map(bytes, textOf), decoded.hash)
      )
    }

    /**
     * The artifact objects under `under` (a location prefix), one listing page (1,000 keys) at a time,
     * with their parsed locations; no request per object.
     */
    const listArtifacts = (
      under: string,
      onPage: (
        found: ReadonlyArray<{
          readonly etag: string
          readonly location: string
          readonly parsed: ArtifactKey.ParsedLocation
        }>
      ) => Effect.Effect<void, BronzeIoError>
    ): Effect.Effect<void, BronzeIoError> =>
      Effect.gen(function* () {
        let continuationToken: string | undefined
        do {
          const page = yield* store.list({
            prefix: prefix + under,
            startAfter: under === "" ? prefix + AFTER_OWN_KEYS : undefined,
            continuationToken
          })
          yield* onPage(
            page.objects.flatMap((object) => {
              const location = object.key.slice(prefix.length)
              const parsed = ArtifactKey.parseLocation(location)
              return Option.isNone(parsed) ? [] : [{ etag: object.etag, location, parsed: parsed.value }]
            })
          )
          continuationToken = page.continuationToken
        } while (continuationToken !== undefined)
      })

    /**
     * Every artifact under `under`, described: a HEAD for each key the cache does not know. Memory: one
     * listing page.
     */
    const walk = (
      under: string,
      onArtifact: (artifact: Listed) => void,
      afterPage: Effect.Effect<void> = Effect.void
    ): Effect.Effect<void, BronzeIoError> =>
      listArtifacts(under, (found) =>
        Effect.forEach(
          found,
          ({ etag, location, parsed }) =>
            Effect.gen(function* () {
              let s = heads.get(location, etag)
              if (s === undefined) {
                const head = yield* stored(location)
                if (Option.isNone(head)) return
                s = head.value
              }
              onArtifact({ location, mtimeMs: s.writtenAt, stored: s, parsed })
            }),
          { concurrency: 16, discard: true }
        ).pipe(Effect.andThen(afterPage))
      )

    /** Full info of listed artifacts (the id via the record when hashed), and those with no id. */
    const describe = (
      listed: ReadonlyArray<Listed>
    ): Effect.Effect<
      { readonly entries: Array<ScannedArtifact>; readonly unresolved: Array<UnresolvedArtifact> },
      BronzeIoError
    > => {
      const ids = new Map<string, ItemRecord.RecordedId>()
      const entries: Array<ScannedArtifact> = []
      const unresolved: Array<UnresolvedArtifact> = []
      return Effect.as(
        Effect.forEach(
          listed,
          (artifact) =>
            Effect.gen(function* () {
              const p = artifact.parsed
              const folder = `${p.sourceType}/${p.segment}`
              let id = ids.get(folder)
              if (id === undefined) {
                id = yield* resolveExternalId(p.sourceType, p.segment, p.decoded)
                ids.set(folder, id)
              }
              if (id._tag === "Unresolved") {
                unresolved.push({ location: artifact.location, mtimeMs: artifact.mtimeMs, reason: id.reason })
                return
              }
              entries.push({
                ...infoOf(
                  { sourceType: p.sourceType, externalId: id.externalId, artifactType: p.artifactType, ext: p.ext },
                  artifact.location,
                  artifact.stored
                ),
                mtimeMs: artifact.mtimeMs,
                // An object appears whole (a put is atomic): it never needs to settle.
                linked: true
              })
            }),
          { discard: true }
        ),
        { entries, unresolved }
      )
    }

    const scan: BronzeReaderShape["scan"] = Effect.fn("BronzeReader.scan")(function* (scanOptions) {
      const limit = Math.max(0, Math.floor(scanOptions.limit))
      const after = scanOptions.after
      const kept = new CatalogScan.SmallestK<Listed>(limit)
      yield* walk("", (artifact) => {
        if (after === undefined || CatalogScan.compareScanOrder(artifact, after) > 0) kept.offer(artifact)
      })
      const { entries, unresolved } = yield* describe(kept.sorted())
      return { entries, unresolved, complete: kept.complete } satisfies ScanPage
    })

    const tailIndex: BronzeReaderShape["tailIndex"] = Effect.fn("BronzeReader.tailIndex")(function* (tailOptions) {
      return yield* index.tail(tailOptions)
    })

    /** The object holding the bytes: the artifact itself, or the blob it points at. */
    const bytesKey = (key: ArtifactKey.ArtifactKey, location: string) =>
      Effect.gen(function* () {
        const s = yield* stored(location)
        if (Option.isNone(s)) return yield* new ArtifactNotFound({ key })
        return s.value.blob ?? objectKey(location)
      })

    const reader: BronzeReaderShape = {
      get: Effect.fn("BronzeReader.get")(function* (key: ArtifactKey.ArtifactKey) {
        const valid = yield* validateLookup(key)
        const location = ArtifactKey.location(valid)
        const bytes = yield* store.getBytes(objectKey(location), location)
        if (Option.isNone(bytes)) return yield* new ArtifactNotFound({ key: valid })
        if (bytes.value.length > 0) return bytes.value
        // An empty body is either an empty artifact or a pointer to a blob.
        const source = yield* bytesKey(valid, location)
        if (source === objectKey(location)) return bytes.value
        const blob = yield* store.getBytes(source, location)
        if (Option.isNone(blob)) {
          return yield* new BronzeIoError({ operation: "read", location, cause: new Error("the blob is missing") })
        }
        return blob.value
      }),
      stream: (key: ArtifactKey.ArtifactKey) =>
        Stream.unwrap(
          Effect.gen(function* () {
            const valid = yield* validateLookup(key)
            const location = ArtifactKey.location(valid)
            const source = yield* bytesKey(valid, location)
            const body = yield* Effect.acquireRelease(store.getStream(source, location), (readable) =>
              Effect.sync(() => Option.map(readable, (r) => r.destroy()))
            )
            if (Option.isNone(body)) return yield* new ArtifactNotFound({ key: valid })
            return Stream.fromAsyncIterable(
              body.value as Readable & AsyncIterable<Uint8Array>,
              (cause) => new BronzeIoError({ operation: "read", location, cause })
            )
          })
        ),
      stat: Effect.fn("BronzeReader.stat")(function* (key: ArtifactKey.ArtifactKey) {
        const valid = yield* validateLookup(key)
        const location = ArtifactKey.location(valid)
        return Option.map(yield* stored(location), (s) => infoOf(valid, location, s))
      }),
      listItem: Effect.fn("BronzeReader.listItem")(function* (item: ArtifactKey.ItemKey) {
        const valid = yield* validateLookupItem(item)
        const found: Array<ArtifactKey.ArtifactInfo> = []
        yield* walk(`${ArtifactKey.itemLocation(valid)}/`, (artifact) =>
          found.push(
            infoOf(
              { ...valid, artifactType: artifact.parsed.artifactType, ext: artifact.parsed.ext },
              artifact.location,
              artifact.stored
            )
          )
        )
        return found.sort(byLocation)
      }),
      scan,
      tailIndex,
      changes: CatalogChanges.make(options.catalog, { scan, tailIndex })
    }

    /** Blobs nobody points at and unfinished uploads, older than the grace period: removed. */
    const removeStaleBlobs = (olderThan: number): Effect.Effect<number, BronzeIoError> =>
      Effect.gen(function* () {
        const parseBlob = (objectKeyOfBlob: string) => {
          const rest = objectKeyOfBlob.slice(prefix.length + BLOB_FOLDER.length)
          const slash = rest.lastIndexOf("/")
          const startedAt = Number(rest.slice(slash + 1).split("-")[0])
          return { location: rest.slice(0, slash), startedAt }
        }
        let removed = 0
        let continuationToken: string | undefined
        do {
          const page = yield* store.list({ prefix: prefix + BLOB_FOLDER, continuationToken })
          for (const object of page.objects) {
            const blob = parseBlob(object.key)
            if (!(blob.startedAt < olderThan)) continue
            const pointer = yield* stored(blob.location)
            if (Option.isSome(pointer) && pointer.value.blob === object.key) continue
            yield* store.delete(object.key, blob.location)
            removed++
          }
          continuationToken = page.continuationToken
        } while (continuationToken !== undefined)
        let marker: { readonly keyMarker: string; readonly uploadIdMarker: string } | undefined
        do {
          const page = yield* store.listUploads({ prefix: prefix + BLOB_FOLDER, ...marker })
          for (const upload of page.uploads) {
            const blob = parseBlob(upload.key)
            if (!(blob.startedAt < olderThan)) continue
            yield* store.abortUpload(upload, blob.location)
            removed++
          }
          marker = page.next
        } while (marker !== undefined)
        return removed
      })

    const maintenance: BronzeMaintenanceShape = {
      reconcile: Effect.fn("BronzeMaintenance.reconcile")(function* (reconcileOptions) {
        const now = yield* Clock.currentTimeMillis
        const grace = reconcileOptions?.tempGraceMs ?? options.tempGraceMs
        const since = reconcileOptions?.since
        const isIndexed = options.catalog === "index"
        const known = new Set<string>()
        if (isIndexed) {
          yield* index.forEachEntry((info) => {
            if (since === undefined || info.writtenAt >= since) known.add(info.location)
          })
        }
        const missing: Array<Listed> = []
        let scannedArtifacts = 0
        const report = ReconcileProgress.reporter(reconcileOptions?.onProgress, now)
        const afterPage = Effect.suspend(() => report(scannedArtifacts, undefined))
        // Without an index there is nothing to restore: counting the listed artifacts needs no HEAD.
        yield* isIndexed
          ? walk(
              "",
              (artifact) => {
                scannedArtifacts++
                if ((since === undefined || artifact.mtimeMs >= since) && !known.has(artifact.location)) {
                  missing.push(artifact)
                }
              },
              afterPage
            )
          : listArtifacts("", (found) =>
              Effect.sync(() => void (scannedArtifacts += found.length)).pipe(Effect.andThen(afterPage))
            )
        yield* report(scannedArtifacts, scannedArtifacts)
        missing.sort(CatalogScan.compareScanOrder)
        let unresolvedArtifacts = 0
        for (let i = 0; i < missing.length; i += 1000) {
          const { entries, unresolved } = yield* describe(missing.slice(i, i + 1000))
          yield* append(entries.map(({ mtimeMs: _, ...info }) => CatalogIndex.encodeIndexLine(info)).join(""))
          unresolvedArtifacts += unresolved.length
          yield* ItemRecord.warnUnindexed(unresolved)
        }
        const removedTempFiles = yield* removeStaleBlobs(now - grace)
        return {
          restoredIndexLines: missing.length - unresolvedArtifacts,
          // Segments are written whole: there is never a torn line to repair.
          repairedTornLine: false,
          removedTempFiles,
          scannedArtifacts,
          unresolvedArtifacts
        } satisfies ReconcileReport
      })
    }

    return { writer, reader, maintenance, checkBucket: store.checkBucket }
  })

/** Writer, reader and maintenance over a bucket and prefix; fails at start on bad options or a missing bucket. */
export const layerWith = (
  options: S3BronzeOptions
): Layer.Layer<BronzeWriter | BronzeReader | BronzeMaintenance, BronzeIoError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const resolved = yield* resolveOptions(options)
      const services = yield* make(resolved)
      yield* services.checkBucket
      return Context.make(BronzeWriter, services.writer).pipe(
        Context.add(BronzeReader, services.reader),
        Context.add(BronzeMaintenance, services.maintenance)
      )
    })
  )

/** Only the reader, for components that must not write: it sends no write request. */
export const layerReaderWith = (options: S3BronzeOptions): Layer.Layer<BronzeReader, BronzeIoError> =>
  Layer.effect(
    BronzeReader,
    Effect.gen(function* () {
      const resolved = yield* resolveOptions(options)
      const services = yield* make(resolved)
      yield* services.checkBucket
      return services.reader
    })
  )
