/**
 * The raw store on a local filesystem, giving `BronzeWriter`, `BronzeReader` and `BronzeMaintenance`.
 *
 * Write path: temp file in the item's folder (`O_EXCL`), data + mtime + fsync, then `link(2)` to the
 * final name, which fails with `EEXIST` instead of replacing (plain `rename` would overwrite), then fsync
 * of the folder; a new item folder's entry is synced in its parent meanwhile, and before the put answers. A crash leaves at most a hidden temp file, which readers never list and `reconcile`
 * removes: at once when its name says its writer (a process of this host) is gone, else after a grace
 * period (`TempOwner`).
 */
import { createHash, randomBytes } from "node:crypto"
import { createReadStream } from "node:fs"
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { Clock, Context, Effect, Layer, Option, Stream } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeConfig, type BronzeOptions, DEFAULT_TEMP_GRACE_MS } from "./BronzeConfig.ts"
import { ArtifactConflict, ArtifactNotFound, BronzeIoError } from "./BronzeErrors.ts"
import { BronzeMaintenance, type BronzeMaintenanceShape } from "./BronzeMaintenance.ts"
import { BronzeReader, type BronzeReaderShape } from "./BronzeReader.ts"
import { BronzeWriter, type BronzeWriterShape } from "./BronzeWriter.ts"
import type { ReconcileReport, ScanPage, ScannedArtifact, UnresolvedArtifact } from "./Catalog.ts"
import * as CatalogChanges from "./CatalogChanges.ts"
import * as CatalogIndex from "./CatalogIndex.ts"
import * as CatalogScan from "./CatalogScan.ts"
import * as FileSync from "./FileSync.ts"
import type { FileSyncShape } from "./FileSync.ts"
import { BronzePurge, type BronzePurgeShape } from "./BronzePurge.ts"
import { BronzeTombstones, type BronzeTombstonesShape } from "./BronzeTombstones.ts"
import * as FileSystemPurge from "./FileSystemPurge.ts"
import * as ItemRecord from "./ItemRecord.ts"
import * as ReconcileProgress from "./ReconcileProgress.ts"
import * as TempOwner from "./TempOwner.ts"
import * as WriteOnce from "./WriteOnce.ts"
import { byLocation, sha256Of, validateKey, validateLookup, validateLookupItem } from "./StoreInputs.ts"

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

const io = <A>(operation: string, location: string, run: () => Promise<A>): Effect.Effect<A, BronzeIoError> =>
  Effect.tryPromise({ try: run, catch: (cause) => new BronzeIoError({ operation, location, cause }) })

/** sha256 and size of a stored file, streamed (64 KB chunks). */
const hashFile = (path: string): Promise<{ readonly sha256: string; readonly size: number }> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256")
    let size = 0
    createReadStream(path, { highWaterMark: 64 * 1024 })
      .on("data", (chunk) => {
        const bytes = chunk as Buffer
        size += bytes.length
        hash.update(bytes)
      })
      .on("error", reject)
      .on("end", () => resolve({ sha256: hash.digest("hex"), size }))
  })

const writeFully = async (handle: NodeFs.FileHandle, bytes: Uint8Array): Promise<void> => {
  let offset = 0
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    offset += bytesWritten
  }
}

/** A promise awaited later: if it fails and nobody awaits it any more, that is no unhandled rejection. */
const inBackground = <A>(promise: Promise<A>): Promise<A> => {
  promise.catch(() => undefined)
  return promise
}

interface ItemFolder {
  /** This put created the item folder: nothing can be stored in it yet. */
  readonly created: boolean
  /** The sync of the new folder entries (in their parents), started at once; awaited before the put answers. */
  readonly parentsSynced: Promise<void>
}

const existingFolder: ItemFolder = { created: false, parentsSynced: Promise.resolve() }

/**
 * Creates the item folder (one `mkdir` when its source folder exists) and starts the sync of every new
 * folder entry, which runs while the artifact is written and synced: on a journaling filesystem both
 * then share one commit instead of waiting for two in turn.
 */
const ensureDirectory = async (dir: string, sync: FileSyncShape): Promise<ItemFolder> => {
  try {
    await NodeFs.mkdir(dir)
    return { created: true, parentsSynced: inBackground(sync.directory(NodePath.dirname(dir))) }
  } catch (cause) {
    if (errno(cause) === "EEXIST") return existingFolder
    if (errno(cause) !== "ENOENT") throw cause
  }
  const first = await NodeFs.mkdir(dir, { recursive: true })
  if (first === undefined) return existingFolder
  const stop = NodePath.dirname(first)
  const parents: Array<string> = []
  let current = NodePath.dirname(dir)
  while (true) {
    parents.push(current)
    if (current === stop || current === NodePath.dirname(current)) break
    current = NodePath.dirname(current)
  }
  return {
    created: true,
    parentsSynced: inBackground(Promise.all(parents.map((parent) => sync.directory(parent))).then(() => undefined))
  }
}

interface Resolved {
  readonly key: ArtifactKey.ArtifactKey
  readonly location: string
  readonly dir: string
  readonly path: string
}

const unique = (): string => randomBytes(8).toString("hex")

const PROBE_PREFIX = ".case-probe"
/** A probe of the older unnamed form lives for a moment: one older than this was left by a crash. */
const UNNAMED_PROBE_AGE_MS = 60_000

/** Probe files a killed process left at the root (a live process's probe is kept). */
const removeLeftProbes = async (root: string, now: number): Promise<void> => {
  for (const name of await NodeFs.readdir(root)) {
    if (!name.startsWith(PROBE_PREFIX) || !name.endsWith(".tmp")) continue
    const path = NodePath.join(root, name)
    const left =
      TempOwner.ownerOf(name) === undefined
        ? await NodeFs.lstat(path).then(
            (stat) => now - stat.mtimeMs > UNNAMED_PROBE_AGE_MS,
            () => false
          )
        : TempOwner.isDeadWriter(name)
    if (left) await NodeFs.unlink(path).catch(() => undefined)
  }
}

/**
 * Creates the root and refuses a case-insensitive filesystem, where readable ids differing in case would
 * collide: it creates a lowercase probe name and looks up its uppercase twin (`lookup` is `lstat`). The
 * probe's name records its writer, so the probes of a process killed here are removed at the next start.
 */
export const checkRoot = (
  root: string,
  lookup: (path: string) => Promise<unknown> = NodeFs.lstat
): Effect.Effect<void, BronzeIoError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    io("probe-case-sensitivity", root, async () => {
      await NodeFs.mkdir(root, { recursive: true })
      await removeLeftProbes(root, now)
      const name = `${PROBE_PREFIX}.${TempOwner.unique(unique())}.tmp`
      const lower = NodePath.join(root, name)
      await NodeFs.writeFile(lower, "", { flag: "wx" })
      try {
        const upper = NodePath.join(root, name.toUpperCase())
        const insensitive = await lookup(upper).then(
          () => true,
          (cause) => (errno(cause) === "ENOENT" ? false : Promise.reject(cause))
        )
        if (insensitive) {
          throw new Error(
            "the bronze root is on a case-insensitive filesystem, where ids differing only in case would share a folder; use a case-sensitive volume"
          )
        }
      } finally {
        await NodeFs.unlink(lower).catch(() => undefined)
      }
    })
  )

/** The three services over one root. The writer side assumes `checkRoot` has run. */
export const make = (
  options: BronzeOptions,
  sync: FileSyncShape = FileSync.node
): {
  readonly writer: BronzeWriterShape
  readonly reader: BronzeReaderShape
  readonly maintenance: BronzeMaintenanceShape
  readonly tombstones: BronzeTombstonesShape
  readonly purge: BronzePurgeShape
} => {
  const root = NodePath.resolve(options.root)
  const indexPath = NodePath.join(root, CatalogIndex.INDEX_FILE_NAME)
  const tombstones = FileSystemPurge.tombstones(root)

  /** A purged item takes no artifact until its tombstone is lifted (`medallion unpurge`). */
  const refusePurged = (r: Resolved): Effect.Effect<void, BronzeIoError> =>
    Effect.flatMap(tombstones.isPurged(r.key), (purged) =>
      purged
        ? Effect.fail(
            new BronzeIoError({
              operation: "tombstoned",
              location: r.location,
              cause: new Error("the item was purged; `medallion unpurge` allows it again")
            })
          )
        : Effect.void
    )

  const resolve = (key: ArtifactKey.ArtifactKey): Resolved => {
    const location = ArtifactKey.location(key)
    const dir = NodePath.join(root, ArtifactKey.itemLocation(key))
    return { key, location, dir, path: NodePath.join(dir, ArtifactKey.fileName(key)) }
  }

  /** Info of the stored file at `path`, or `None` when absent. */
  const storedInfo = (
    key: ArtifactKey.ArtifactKey,
    location: string,
    path: string
  ): Effect.Effect<Option.Option<ArtifactKey.ArtifactInfo>, BronzeIoError> =>
    io("stat", location, async () => {
      let stat: import("node:fs").Stats
      try {
        stat = await NodeFs.lstat(path)
      } catch (cause) {
        if (errno(cause) === "ENOENT" || errno(cause) === "ENOTDIR") return Option.none()
        throw cause
      }
      const { sha256, size } = await hashFile(path)
      return Option.some({ key, size, sha256, writtenAt: CatalogScan.mtimeMsOf(stat), location })
    })

  /**
   * Writes a temp file with `fill`, stamps its mtime with the writer's Clock, syncs it and links it to
   * `path` without replacing. The temp name is always removed afterwards.
   */
  const linkNew = <E>(
    dir: string,
    path: string,
    location: string,
    writtenAt: number,
    fill: (write: (chunk: Uint8Array) => Effect.Effect<void, BronzeIoError>) => Effect.Effect<void, E>
  ): Effect.Effect<{ readonly linked: boolean; readonly sha256: string; readonly size: number }, E | BronzeIoError> => {
    const temp = NodePath.join(dir, CatalogScan.tempName(NodePath.basename(path), TempOwner.unique(unique())))
    return Effect.acquireUseRelease(
      io("create-temp", location, () => NodeFs.open(temp, "wx", CatalogScan.STORED_MODE)),
      (handle) =>
        Effect.gen(function* () {
          const hash = createHash("sha256")
          let size = 0
          yield* fill((chunk) => {
            hash.update(chunk)
            size += chunk.length
            return io("write", location, () => writeFully(handle, chunk))
          })
          const linked = yield* io("commit", location, async () => {
            const seconds = writtenAt / 1000
            await handle.utimes(seconds, seconds)
            await sync.file(handle, temp)
            try {
              await NodeFs.link(temp, path)
              return true
            } catch (cause) {
              if (errno(cause) === "EEXIST") return false
              throw cause
            }
          })
          if (linked) yield* io("sync-directory", location, () => sync.directory(dir))
          return { linked, sha256: hash.digest("hex"), size }
        }),
      (handle) =>
        Effect.promise(() =>
          Promise.all([handle.close().catch(() => undefined), NodeFs.unlink(temp).catch(() => undefined)])
        )
    )
  }

  /** Writes the id record of a hashed item folder once, and checks an existing one names the same id. */
  const ensureItemRecord = (r: Resolved, writtenAt: number): Effect.Effect<void, BronzeIoError> =>
    Effect.gen(function* () {
      const recordPath = NodePath.join(r.dir, ArtifactKey.ITEM_RECORD_NAME)
      const recordLocation = `${ArtifactKey.itemLocation(r.key)}/${ArtifactKey.ITEM_RECORD_NAME}`
      const bytes = new TextEncoder().encode(ItemRecord.encode(r.key))
      const existing = yield* io("read-item-record", recordLocation, () =>
        NodeFs.readFile(recordPath).then(
          (b) => Option.some(new Uint8Array(b)),
          (cause) => (errno(cause) === "ENOENT" ? Option.none() : Promise.reject(cause))
        )
      )
      if (Option.isNone(existing)) {
        yield* linkNew(r.dir, recordPath, recordLocation, writtenAt, (write) => write(bytes))
      }
      const stored = yield* io("read-item-record", recordLocation, () => NodeFs.readFile(recordPath, "utf8"))
      yield* ItemRecord.checkOwner(Option.some(stored), r.key, recordLocation)
    })

  const appendToIndex = (info: ArtifactKey.ArtifactInfo): Effect.Effect<void, BronzeIoError> =>
    options.catalog === "index"
      ? Effect.asVoid(CatalogIndex.appendIndexLines(indexPath, CatalogIndex.encodeIndexLine(info), sync))
      : Effect.void

  /** The answer when the key already holds an artifact (`WriteOnce`). */
  /** `read`: what the key holds, when the caller already knows (else it is read and hashed). */
  const existingOutcome = (
    r: Resolved,
    attemptedSha256: string,
    read: Effect.Effect<Option.Option<ArtifactKey.ArtifactInfo>, BronzeIoError> = storedInfo(r.key, r.location, r.path)
  ) =>
    WriteOnce.takenKeyOutcome({
      key: r.key,
      location: r.location,
      attemptedSha256,
      stored: read,
      takenBecause: "a conflicting link"
    })

  const itemFolder = (r: Resolved) => io("create-directory", r.location, () => ensureDirectory(r.dir, sync))

  const store = <E>(
    r: Resolved,
    folder: ItemFolder,
    fill: (write: (chunk: Uint8Array) => Effect.Effect<void, BronzeIoError>) => Effect.Effect<void, E>
  ): Effect.Effect<ArtifactKey.PutResult, ArtifactConflict | BronzeIoError | E> =>
    Effect.gen(function* () {
      const writtenAt = yield* Clock.currentTimeMillis
      if (ArtifactKey.isHashedSegment(ArtifactKey.encodeExternalId(r.key.externalId))) {
        yield* ensureItemRecord(r, writtenAt)
      }
      const result = yield* linkNew(r.dir, r.path, r.location, writtenAt, fill)
      // A new item folder's entry is durable before the put answers (and before its index line).
      yield* io("sync-directory", r.location, () => folder.parentsSynced)
      if (!result.linked) return yield* existingOutcome(r, result.sha256)
      const info: ArtifactKey.ArtifactInfo = {
        key: r.key,
        size: result.size,
        sha256: result.sha256,
        writtenAt,
        location: r.location
      }
      yield* appendToIndex(info)
      return { ...info, outcome: "written" as const }
    })

  const writer: BronzeWriterShape = {
    put: Effect.fn("BronzeWriter.put")(function* (key: ArtifactKey.ArtifactKey, bytes: Uint8Array) {
      const r = resolve(yield* validateKey(key))
      yield* refusePurged(r)
      const folder = yield* itemFolder(r)
      // Most repeated puts are refetches of the same bytes: answer them without writing a temp file. A
      // folder this put just created holds nothing yet, so a new item needs no look.
      if (!folder.created) {
        const stored = yield* storedInfo(r.key, r.location, r.path)
        if (Option.isSome(stored)) return yield* existingOutcome(r, sha256Of(bytes), Effect.succeed(stored))
      }
      return yield* store(r, folder, (write) => write(bytes))
    }),
    putStream: <E>(key: ArtifactKey.ArtifactKey, body: Stream.Stream<Uint8Array, E>) =>
      Effect.gen(function* () {
        const r = resolve(yield* validateKey(key))
        yield* refusePurged(r)
        return yield* store(r, yield* itemFolder(r), (write) => Stream.runForEach(body, write))
      }).pipe(Effect.withSpan("BronzeWriter.putStream"))
  }

  /** The original id of an item folder: decoded from its name, or read from its record when hashed. */
  const resolveExternalId = (
    sourceType: string,
    segment: string,
    decoded: ArtifactKey.DecodedSegment
  ): Effect.Effect<ItemRecord.RecordedId, BronzeIoError> => {
    if (decoded._tag === "Id") return Effect.succeed(decoded)
    const recordLocation = `${sourceType}/${segment}/${ArtifactKey.ITEM_RECORD_NAME}`
    return io("read-item-record", recordLocation, () =>
      NodeFs.readFile(NodePath.join(root, sourceType, segment, ArtifactKey.ITEM_RECORD_NAME), "utf8").then(
        Option.some,
        (cause) => (errno(cause) === "ENOENT" ? Option.none() : Promise.reject(cause))
      )
    ).pipe(Effect.map((text) => ItemRecord.idOf(text, decoded.hash)))
  }

  /** Full info of walked artifacts (sha256 by reading, id via the record when hashed), and those with no id. */
  const describe = (
    walked: ReadonlyArray<CatalogScan.WalkedArtifact>
  ): Effect.Effect<
    { readonly entries: Array<ScannedArtifact>; readonly unresolved: Array<UnresolvedArtifact> },
    BronzeIoError
  > => {
    const ids = new Map<string, ItemRecord.RecordedId>()
    return Effect.map(
      Effect.forEach(
        walked,
        (artifact) =>
          Effect.gen(function* () {
            const parsed = ArtifactKey.parseLocation(artifact.location)
            if (Option.isNone(parsed)) {
              return yield* new BronzeIoError({
                operation: "scan",
                location: artifact.location,
                cause: new Error("not an artifact location")
              })
            }
            const p = parsed.value
            const folder = `${p.sourceType}/${p.segment}`
            let id = ids.get(folder)
            if (id === undefined) {
              id = yield* resolveExternalId(p.sourceType, p.segment, p.decoded)
              ids.set(folder, id)
            }
            if (id._tag === "Unresolved") {
              const unresolved: ScannedArtifact | UnresolvedArtifact = {
                location: artifact.location,
                mtimeMs: artifact.mtimeMs,
                reason: id.reason
              }
              return unresolved
            }
            const { sha256, size } = yield* io("hash", artifact.location, () => hashFile(artifact.path))
            const described: ScannedArtifact | UnresolvedArtifact = {
              key: { sourceType: p.sourceType, externalId: id.externalId, artifactType: p.artifactType, ext: p.ext },
              size,
              sha256,
              writtenAt: artifact.mtimeMs,
              location: artifact.location,
              mtimeMs: artifact.mtimeMs,
              linked: artifact.linked
            }
            return described
          }),
        { concurrency: 8 }
      ),
      (described) => ({
        entries: described.filter((d): d is ScannedArtifact => "key" in d),
        unresolved: described.filter((d): d is UnresolvedArtifact => !("key" in d))
      })
    )
  }

  const scan: BronzeReaderShape["scan"] = Effect.fn("BronzeReader.scan")(function* (scanOptions) {
    const limit = Math.max(0, Math.floor(scanOptions.limit))
    const after = scanOptions.after
    const kept = new CatalogScan.SmallestK<CatalogScan.WalkedArtifact>(limit)
    yield* CatalogScan.walk(root, {
      onArtifact: (artifact) => {
        if (after === undefined || CatalogScan.compareScanOrder(artifact, after) > 0) kept.offer(artifact)
      }
    })
    const { entries, unresolved } = yield* describe(kept.sorted())
    return { entries, unresolved, complete: kept.complete } satisfies ScanPage
  })

  const tailIndex: BronzeReaderShape["tailIndex"] = Effect.fn("BronzeReader.tailIndex")(function* (tailOptions) {
    return yield* CatalogIndex.tailIndexFile(indexPath, tailOptions)
  })

  const reader: BronzeReaderShape = {
    get: Effect.fn("BronzeReader.get")(function* (key: ArtifactKey.ArtifactKey) {
      const r = resolve(yield* validateLookup(key))
      const bytes = yield* io("read", r.location, () =>
        NodeFs.readFile(r.path).then(
          (b) => Option.some(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
          (cause) => (errno(cause) === "ENOENT" || errno(cause) === "ENOTDIR" ? Option.none() : Promise.reject(cause))
        )
      )
      if (Option.isNone(bytes)) return yield* new ArtifactNotFound({ key: r.key })
      return bytes.value
    }),
    stream: (key: ArtifactKey.ArtifactKey) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const r = resolve(yield* validateLookup(key))
          const handle = yield* Effect.acquireRelease(
            io("open", r.location, () =>
              NodeFs.open(r.path, "r").then(Option.some, (cause) =>
                errno(cause) === "ENOENT" || errno(cause) === "ENOTDIR" ? Option.none() : Promise.reject(cause)
              )
            ),
            (handle) => (Option.isSome(handle) ? Effect.promise(() => handle.value.close()) : Effect.void)
          )
          if (Option.isNone(handle)) return yield* new ArtifactNotFound({ key: r.key })
          const file = handle.value
          async function* chunks(): AsyncGenerator<Uint8Array> {
            while (true) {
              const buffer = new Uint8Array(64 * 1024)
              const { bytesRead } = await file.read(buffer, 0, buffer.length, null)
              if (bytesRead === 0) return
              yield buffer.subarray(0, bytesRead)
            }
          }
          return Stream.fromAsyncIterable(
            chunks(),
            (cause) => new BronzeIoError({ operation: "read", location: r.location, cause })
          )
        })
      ),
    stat: Effect.fn("BronzeReader.stat")(function* (key: ArtifactKey.ArtifactKey) {
      const r = resolve(yield* validateLookup(key))
      return yield* storedInfo(r.key, r.location, r.path)
    }),
    listItem: Effect.fn("BronzeReader.listItem")(function* (item: ArtifactKey.ItemKey) {
      const valid = yield* validateLookupItem(item)
      const folder = ArtifactKey.itemLocation(valid)
      const names = yield* io("list", folder, () =>
        NodeFs.readdir(NodePath.join(root, folder)).catch((cause) =>
          errno(cause) === "ENOENT" ? ([] as Array<string>) : Promise.reject(cause)
        )
      )
      const keys = names.flatMap((name) =>
        Option.match(ArtifactKey.parseFileName(name), {
          onNone: () => [],
          onSome: (parts) => [{ ...valid, ...parts }]
        })
      )
      const infos = yield* Effect.forEach(keys, (key) => reader.stat(key), { concurrency: 8 })
      return infos.flatMap((info) => (Option.isSome(info) ? [info.value] : [])).sort(byLocation)
    }),
    scan,
    tailIndex,
    changes: CatalogChanges.make(options.catalog, { scan, tailIndex })
  }

  const maintenance: BronzeMaintenanceShape = {
    reconcile: Effect.fn("BronzeMaintenance.reconcile")(function* (reconcileOptions) {
      const now = yield* Clock.currentTimeMillis
      const grace = reconcileOptions?.tempGraceMs ?? options.tempGraceMs ?? DEFAULT_TEMP_GRACE_MS
      const since = reconcileOptions?.since
      const indexed = options.catalog === "index"
      const repairedTornLine = indexed ? yield* CatalogIndex.appendIndexLines(indexPath, "", sync) : false
      const known = new Set<string>()
      if (indexed) {
        yield* CatalogIndex.forEachIndexEntry(indexPath, (info) => {
          if (since === undefined || info.writtenAt >= since) known.add(info.location)
        })
      }
      const missing: Array<CatalogScan.WalkedArtifact> = []
      const stale: Array<string> = []
      let scannedArtifacts = 0
      const report = ReconcileProgress.reporter(reconcileOptions?.onProgress, now)
      const context = yield* Effect.context<never>()
      yield* CatalogScan.walk(root, {
        afterBatch:
          reconcileOptions?.onProgress === undefined
            ? undefined
            : () => Effect.runPromiseWith(context)(Effect.suspend(() => report(scannedArtifacts, undefined))),
        onArtifact: (artifact) => {
          scannedArtifacts++
          if (indexed && (since === undefined || artifact.mtimeMs >= since) && !known.has(artifact.location)) {
            missing.push(artifact)
          }
        },
        onTemp: (temp) => {
          // A crashed writer's temp file goes at once; one whose writer may be alive waits out the grace.
          if (temp.mtimeMs < now - grace || TempOwner.isDeadWriter(NodePath.basename(temp.path))) stale.push(temp.path)
        }
      })
      yield* report(scannedArtifacts, scannedArtifacts)
      missing.sort(CatalogScan.compareScanOrder)
      let unresolvedArtifacts = 0
      for (let i = 0; i < missing.length; i += 1000) {
        const { entries, unresolved } = yield* describe(missing.slice(i, i + 1000))
        const lines = entries.map((entry) => CatalogIndex.encodeIndexLine(entry)).join("")
        yield* CatalogIndex.appendIndexLines(indexPath, lines, sync)
        unresolvedArtifacts += unresolved.length
        yield* ItemRecord.warnUnindexed(unresolved)
      }
      let removedTempFiles = 0
      for (const path of stale) {
        const removed = yield* io("remove-temp", NodePath.relative(root, path), () =>
          NodeFs.unlink(path).then(
            () => true,
            (cause) => (errno(cause) === "ENOENT" ? false : Promise.reject(cause))
          )
        )
        if (removed) removedTempFiles++
      }
      return {
        restoredIndexLines: missing.length - unresolvedArtifacts,
        repairedTornLine,
        removedTempFiles,
        scannedArtifacts,
        unresolvedArtifacts
      } satisfies ReconcileReport
    })
  }

  return { writer, reader, maintenance, tombstones, purge: FileSystemPurge.purge(root, sync) }
}

type Services = BronzeWriter | BronzeReader | BronzeMaintenance | BronzeTombstones | BronzePurge

/**
 * Writer, reader and maintenance over the given root; creates the root and refuses a case-insensitive one.
 * Its durability calls are the `FileSync` in context when the layer is built (the real ones by default).
 */
export const layerWith = (options: BronzeOptions): Layer.Layer<Services, BronzeIoError> =>
  Layer.effectContext(
    Effect.gen(function* () {
      yield* checkRoot(options.root)
      const services = make(options, yield* FileSync.FileSync)
      return Context.make(BronzeWriter, services.writer).pipe(
        Context.add(BronzeReader, services.reader),
        Context.add(BronzeMaintenance, services.maintenance),
        Context.add(BronzeTombstones, services.tombstones),
        Context.add(BronzePurge, services.purge)
      )
    })
  )

/** As `layerWith`, configured by the `BronzeConfig` in context. */
export const layerNoDeps: Layer.Layer<Services, BronzeIoError, BronzeConfig> = Layer.unwrap(
  Effect.map(BronzeConfig, layerWith)
)

/** Writer, reader and maintenance configured from the environment (`MEDALLION_BRONZE_ROOT`, `MEDALLION_BRONZE_CATALOG`). */
export const layer = layerNoDeps.pipe(Layer.provide(BronzeConfig.layer))

/**
 * Only the reader (and the tombstones, which readers respect): for components that must not write
 * bronze. Writes nothing, not even a probe.
 */
export const layerReaderWith = (options: BronzeOptions): Layer.Layer<BronzeReader | BronzeTombstones> =>
  Layer.succeedContext(
    Context.make(BronzeReader, make(options).reader).pipe(
      Context.add(BronzeTombstones, FileSystemPurge.tombstones(options.root))
    )
  )

export const layerReaderNoDeps: Layer.Layer<BronzeReader | BronzeTombstones, never, BronzeConfig> = Layer.unwrap(
  Effect.map(BronzeConfig, layerReaderWith)
)

/** Only the reader, configured from the environment. */
export const layerReader = layerReaderNoDeps.pipe(Layer.provide(BronzeConfig.layer))
