/**
 * The catalog by walking the store: artifacts ordered by `(mtimeMs, location)`, selected with a bounded
 * heap so that a page of `limit` entries costs O(limit) memory whatever the size of the tree.
 */
import type { Dir, Dirent } from "node:fs"
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect, Option } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"
import type { ScanPosition } from "./Catalog.ts"

/** Scan order: by `mtimeMs`, then by location (code unit order, the same on every store). */
export const compareScanOrder = (a: ScanPosition, b: ScanPosition): number =>
  a.mtimeMs !== b.mtimeMs ? a.mtimeMs - b.mtimeMs : a.location < b.location ? -1 : a.location > b.location ? 1 : 0

/**
 * Keeps the `limit` smallest items offered, in O(limit) memory (a binary max-heap), and counts how many
 * were offered so the caller knows whether anything was left out.
 */
export class SmallestK<A extends ScanPosition> {
  private readonly heap: Array<A> = []
  offered = 0
  readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  offer(item: A): void {
    this.offered++
    const heap = this.heap
    if (heap.length < this.limit) {
      heap.push(item)
      let i = heap.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (compareScanOrder(heap[parent]!, heap[i]!) >= 0) break
        ;[heap[parent], heap[i]] = [heap[i]!, heap[parent]!]
        i = parent
      }
    } else if (heap.length > 0 && compareScanOrder(item, heap[0]!) < 0) {
      heap[0] = item
      let i = 0
      while (true) {
        const l = 2 * i + 1
        const r = l + 1
        let largest = i
        if (l < heap.length && compareScanOrder(heap[l]!, heap[largest]!) > 0) largest = l
        if (r < heap.length && compareScanOrder(heap[r]!, heap[largest]!) > 0) largest = r
        if (largest === i) break
        ;[heap[largest], heap[i]] = [heap[i]!, heap[largest]!]
        i = largest
      }
    }
  }

  /** The kept items, ascending. */
  sorted(): Array<A> {
    return [...this.heap].sort(compareScanOrder)
  }

  /** True when nothing offered was left out. */
  get complete(): boolean {
    return this.offered <= this.limit
  }
}

/** The file mtime as integer milliseconds (the writer stamps whole milliseconds from its Clock). */
export const mtimeMsOf = (stat: { readonly mtimeMs: number }): number => Math.round(stat.mtimeMs)

/** One artifact found by a walk. */
export interface WalkedArtifact {
  readonly location: string
  readonly path: string
  readonly mtimeMs: number
  readonly size: number
  /** No write permission bit: the store's writer linked it in whole (see `STORED_MODE`). */
  readonly linked: boolean
}

/** One temp file found by a walk (a write in progress, or left by a crash). */
export interface WalkedTemp {
  readonly path: string
  readonly mtimeMs: number
}

const TEMP_NAME = /^\..+\.tmp$/

/**
 * The mode the writer gives artifacts: read-only, as nothing ever modifies them. It also tells a scan
 * that the file was linked into place whole: a program writing a file in place holds it writable.
 */
export const STORED_MODE = 0o444

/** True when no write bit is set: a file the writer linked into place (`STORED_MODE`). */
export const isLinkedMode = (mode: number): boolean => (mode & 0o222) === 0

/** Name of the temp file for an artifact or record: hidden (leading dot) and ending in `.tmp`. */
export const tempName = (name: string, unique: string): string => `.${name}.${unique}.tmp`

const isDirectory = async (dir: string, entry: Dirent): Promise<boolean> => {
  if (entry.isDirectory()) return true
  if (entry.isFile() || entry.isSymbolicLink()) return false
  // Some filesystems do not report the type in the listing.
  return (await NodeFs.lstat(NodePath.join(dir, entry.name))).isDirectory()
}

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

/** Lists a directory in batches (`opendir`), so a folder of a million items never sits in memory at once. */
async function* batches(dir: string, size: number): AsyncGenerator<Array<Dirent>> {
  let handle: Dir
  try {
    handle = await NodeFs.opendir(dir, { bufferSize: 256 })
  } catch (cause) {
    if (errno(cause) === "ENOENT") return
    throw cause
  }
  let batch: Array<Dirent> = []
  for await (const entry of handle) {
    batch.push(entry)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

export interface WalkOptions {
  readonly onArtifact: (artifact: WalkedArtifact) => void
  readonly onTemp?: ((temp: WalkedTemp) => void) | undefined
  /** Awaited after each batch of item folders: a place to report progress. */
  readonly afterBatch?: (() => Promise<void>) | undefined
}

const statItem = async (root: string, sourceType: string, segment: string, options: WalkOptions): Promise<void> => {
  const dir = NodePath.join(root, sourceType, segment)
  let names: Array<Dirent>
  try {
    names = await NodeFs.readdir(dir, { withFileTypes: true })
  } catch (cause) {
    if (errno(cause) === "ENOENT") return
    throw cause
  }
  await Promise.all(
    names.map(async (entry) => {
      const isTemp = TEMP_NAME.test(entry.name)
      if (!isTemp && Option.isNone(ArtifactKey.parseFileName(entry.name))) return
      if (!entry.isFile()) return
      const path = NodePath.join(dir, entry.name)
      let stat: import("node:fs").Stats
      try {
        stat = await NodeFs.lstat(path)
      } catch (cause) {
        // A temp file may be linked and removed between listing and stat.
        if (errno(cause) === "ENOENT") return
        throw cause
      }
      if (isTemp) {
        options.onTemp?.({ path, mtimeMs: mtimeMsOf(stat) })
      } else {
        options.onArtifact({
          location: `${sourceType}/${segment}/${entry.name}`,
          path,
          mtimeMs: mtimeMsOf(stat),
          size: stat.size,
          linked: isLinkedMode(stat.mode)
        })
      }
    })
  )
}

/**
 * Walks `{root}/{sourceType}/{segment}/{file}`: artifacts, and temp files when asked. Anything that is not
 * a valid source type, segment or artifact name (records, the index, foreign files, symlinks) is ignored.
 * Memory: one batch of item folders at a time.
 */
export const walk = (root: string, options: WalkOptions): Effect.Effect<void, BronzeIoError> =>
  Effect.tryPromise({
    try: async () => {
      for await (const sourceBatch of batches(root, 256)) {
        for (const sourceEntry of sourceBatch) {
          if (!ArtifactKey.SourceTypePattern.test(sourceEntry.name)) continue
          if (!(await isDirectory(root, sourceEntry))) continue
          const sourceDir = NodePath.join(root, sourceEntry.name)
          for await (const itemBatch of batches(sourceDir, 64)) {
            await Promise.all(
              itemBatch.map(async (itemEntry) => {
                if (Option.isNone(ArtifactKey.decodeSegment(itemEntry.name))) return
                if (!(await isDirectory(sourceDir, itemEntry))) return
                await statItem(root, sourceEntry.name, itemEntry.name, options)
              })
            )
            await options.afterBatch?.()
          }
        }
      }
    },
    catch: (cause) => new BronzeIoError({ operation: "walk", location: ".", cause })
  })
