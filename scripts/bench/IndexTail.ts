/**
 * Where the tail of a bronze `_index.jsonl` starts, for the benchmarks that time a sensor reading the
 * last lines (the cursor a caught-up sensor would hold).
 */
import * as NodeFs from "node:fs/promises"

/** Byte offset where the last `n` lines of the file start (0 when it has fewer), read backwards in 1 MiB chunks. */
export const offsetOfLastLines = async (path: string, n: number): Promise<number> => {
  const handle = await NodeFs.open(path, "r")
  try {
    const { size } = await handle.stat()
    const chunk = Buffer.alloc(1024 * 1024)
    let position = size
    let seen = -1
    while (position > 0) {
      const length = Math.min(chunk.length, position)
      position -= length
      await handle.read(chunk, 0, length, position)
      for (let i = length - 1; i >= 0; i--) {
        if (chunk[i] === 0x0a && ++seen === n) return position + i + 1
      }
    }
    return 0
  } finally {
    await handle.close()
  }
}
