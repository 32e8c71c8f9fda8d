/**
 * The durability calls of the filesystem store, as one service: `fsync` of a written file before it is
 * linked into view, `fsync` of a folder after an entry was created or linked in it, `fdatasync` of the
 * index after an append. A `Context.Reference` with the real calls as its default, so that production
 * code provides nothing and a test can provide an observer (that delegates to `FileSync.node`) to see
 * that each call happens, and when.
 */
import type * as NodeFs from "node:fs/promises"
import * as Fs from "node:fs/promises"
import { Context } from "effect"

export interface FileSyncShape {
  /** `fsync(2)` of an open file: its data and metadata (the stamped mtime) are on disk. */
  readonly file: (handle: NodeFs.FileHandle, path: string) => Promise<void>
  /** `fdatasync(2)` of an open file: its data is on disk (an index append). */
  readonly data: (handle: NodeFs.FileHandle, path: string) => Promise<void>
  /** `fsync(2)` of a folder: the entries created or linked in it survive a crash. */
  readonly directory: (path: string) => Promise<void>
}

/** The real calls. */
export const node: FileSyncShape = {
  file: (handle) => handle.sync(),
  data: (handle) => handle.datasync(),
  directory: async (path) => {
    const handle = await Fs.open(path, "r")
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
}

export const FileSync = Context.Reference<FileSyncShape>("@medallion/bronze/FileSync", { defaultValue: () => node })
