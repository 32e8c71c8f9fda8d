/**
 * `changes` on top of `scan` and `tailIndex`: one cursor type whichever catalog
 * mode the store is in, the same for every store.
 */
import { Effect } from "effect"
import type { CatalogMode } from "./BronzeConfig.ts"
import type { BronzeReaderShape } from "./BronzeReader.ts"
import type { ChangesPage } from "./Catalog.ts"

export const make = (
  catalog: CatalogMode,
  reader: Pick<BronzeReaderShape, "scan" | "tailIndex">
): BronzeReaderShape["changes"] =>
  Effect.fn("BronzeReader.changes")(function* (changesOptions) {
    const cursor = changesOptions.cursor
    if (catalog === "index") {
      const page = yield* reader.tailIndex({
        offset: cursor?._tag === "Index" ? cursor.offset : 0,
        indexId: cursor?._tag === "Index" ? cursor.indexId : undefined,
        maxEntries: changesOptions.limit
      })
      return {
        entries: page.entries.map((entry) => entry.info),
        cursor: { _tag: "Index", offset: page.nextOffset, indexId: page.indexId },
        complete: page.entries.length < changesOptions.limit
      } satisfies ChangesPage
    }
    const after = cursor?._tag === "Scan" ? cursor.after : undefined
    const page = yield* reader.scan({ after, limit: changesOptions.limit })
    const last = page.entries.at(-1)
    const next = last !== undefined ? { mtimeMs: last.mtimeMs, location: last.location } : after
    return {
      entries: page.entries.map(({ mtimeMs: _, linked: _linked, ...info }) => info),
      cursor: next === undefined ? { _tag: "Scan" } : { _tag: "Scan", after: next },
      complete: page.complete
    } satisfies ChangesPage
  })
