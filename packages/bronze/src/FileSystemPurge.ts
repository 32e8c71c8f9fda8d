/**
 * Tombstones and deletion on the filesystem store. Tombstones are lines of `_tombstones.jsonl` at the
 * root, appended in one `write(2)` and synced (as the index); readers keep the folded set and re-read
 * the file only when its size, mtime or inode changed, so a check is one `stat`.
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { Clock, Effect } from "effect"
import * as ArtifactKey from "./ArtifactKey.ts"
import { BronzeIoError } from "./BronzeErrors.ts"
import type { BronzePurgeShape, RemovedArtifact } from "./BronzePurge.ts"
import * as BronzeTombstones from "./BronzeTombstones.ts"
import type { FileSyncShape } from "./FileSync.ts"
import * as FileSync from "./FileSync.ts"

const errno = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined

const io = <A>(operation: string, location: string, run: () => Promise<A>): Effect.Effect<A, BronzeIoError> =>
  Effect.tryPromise({ try: run, catch: (cause) => new BronzeIoError({ operation, location, cause }) })

const hashFile = (path: string): Promise<{ readonly sha256: string; readonly size: number }> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256")
    let size = 0
    createReadStream(path, { highWaterMark: 64 * 1024 })
      .on("data", (chunk) => {
        size += chunk.length
        hash.update(chunk as Buffer)
      })
      .on("error", reject)
      .on("end", () => resolve({ sha256: hash.digest("hex"), size }))
  })

/** The read side over a root: the folded set, cached by the file's identity. */
export const tombstones = (root: string): BronzeTombstones.BronzeTombstonesShape => {
  const path = NodePath.join(NodePath.resolve(root), BronzeTombstones.TOMBSTONES_FILE_NAME)
  let cached: { readonly stamp: string; readonly set: ReadonlySet<string> } | undefined
  const purged = io("read-tombstones", BronzeTombstones.TOMBSTONES_FILE_NAME, async () => {
    const stat = await NodeFs.stat(path).catch((cause) =>
      errno(cause) === "ENOENT" ? undefined : Promise.reject(cause)
    )
    if (stat === undefined) return new Set<string>() as ReadonlySet<string>
    const stamp = `${stat.ino}.${stat.size}.${stat.mtimeMs}`
    if (cached?.stamp === stamp) return cached.set
    const set = BronzeTombstones.foldLines(await NodeFs.readFile(path, "utf8"))
    cached = { stamp, set }
    return set
  })
  return {
    purged,
    isPurged: (item) => Effect.map(purged, (set) => set.has(BronzeTombstones.itemId(item)))
  }
}

/** The delete side over a root. */
export const purge = (root: string, sync: FileSyncShape = FileSync.node): BronzePurgeShape => {
  const base = NodePath.resolve(root)
  const path = NodePath.join(base, BronzeTombstones.TOMBSTONES_FILE_NAME)

  const unlinkHashed = async (file: string, location: string): Promise<RemovedArtifact | undefined> => {
    let hashed: { readonly sha256: string; readonly size: number }
    try {
      hashed = await hashFile(file)
    } catch (cause) {
      if (errno(cause) === "ENOENT") return undefined
      throw cause
    }
    try {
      await NodeFs.unlink(file)
    } catch (cause) {
      if (errno(cause) === "ENOENT") return undefined
      throw cause
    }
    return { location, ...hashed }
  }

  return {
    tombstone: (item, state) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        io("append-tombstone", BronzeTombstones.TOMBSTONES_FILE_NAME, async () => {
          await NodeFs.mkdir(base, { recursive: true })
          const line = BronzeTombstones.encodeTombstoneLine({ ...item, state, at })
          const handle = await NodeFs.open(path, "a+")
          try {
            // A torn last line (a crash mid-append) is terminated first, in the same write.
            const { size } = await handle.stat()
            let torn = false
            if (size > 0) {
              const last = new Uint8Array(1)
              await handle.read(last, 0, 1, size - 1)
              torn = last[0] !== 0x0a
            }
            await handle.write((torn ? "\n" : "") + line)
            await sync.data(handle, path)
          } finally {
            await handle.close()
          }
        })
      ),
    removeItem: (item) => {
      const folder = ArtifactKey.itemLocation(item)
      const dir = NodePath.join(base, folder)
      return io("remove-item", folder, async () => {
        const names = await NodeFs.readdir(dir).catch((cause) =>
          errno(cause) === "ENOENT" ? ([] as Array<string>) : Promise.reject(cause)
        )
        const removed: Array<RemovedArtifact> = []
        for (const name of names.sort()) {
          const file = NodePath.join(dir, name)
          if (ArtifactKey.parseFileName(name)._tag === "Some") {
            const gone = await unlinkHashed(file, `${folder}/${name}`)
            if (gone !== undefined) removed.push(gone)
          } else {
            // The id record and temp files of the item go with it.
            await NodeFs.rm(file, { force: true, recursive: true })
          }
        }
        if (names.length > 0) await sync.directory(dir)
        await NodeFs.rmdir(dir).catch((cause) => (errno(cause) === "ENOENT" ? undefined : Promise.reject(cause)))
        await sync
          .directory(NodePath.dirname(dir))
          .catch((cause) => (errno(cause) === "ENOENT" ? undefined : Promise.reject(cause)))
        return removed
      })
    },
    removeArtifacts: (keys) =>
      io("remove-artifacts", keys[0] === undefined ? "" : ArtifactKey.itemLocation(keys[0]), async () => {
        const removed: Array<RemovedArtifact> = []
        const dirs = new Set<string>()
        for (const key of keys) {
          const location = ArtifactKey.location(key)
          const gone = await unlinkHashed(NodePath.join(base, location), location)
          if (gone !== undefined) removed.push(gone)
          dirs.add(NodePath.join(base, ArtifactKey.itemLocation(key)))
        }
        for (const dir of dirs) await sync.directory(dir)
        return removed
      })
  }
}
