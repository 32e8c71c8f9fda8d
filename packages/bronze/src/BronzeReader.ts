/**
 * The capability to read artifacts and the catalog. It offers no way to write.
 */
import { Context, type Effect, type Option, type Stream } from "effect"
import type { ArtifactInfo, ArtifactKey, ItemKey } from "./ArtifactKey.ts"
import type { ArtifactNotFound, BronzeIoError } from "./BronzeErrors.ts"
import type { CatalogCursor, ChangesPage, IndexPage, ScanOptions, ScanPage, TailIndexOptions } from "./Catalog.ts"

export interface BronzeReaderShape {
  /** A key the writer refuses fails every lookup with `BronzeIoError { operation: "validate-key" }`, naming the rule. */
  readonly get: (key: ArtifactKey) => Effect.Effect<Uint8Array, ArtifactNotFound | BronzeIoError>
  /** The bytes in chunks, in bounded memory. */
  readonly stream: (key: ArtifactKey) => Stream.Stream<Uint8Array, ArtifactNotFound | BronzeIoError>
  /** Size, sha256, time and location of a stored artifact. */
  readonly stat: (key: ArtifactKey) => Effect.Effect<Option.Option<ArtifactInfo>, BronzeIoError>
  /** Every artifact of one item, sorted by location. */
  readonly listItem: (item: ItemKey) => Effect.Effect<ReadonlyArray<ArtifactInfo>, BronzeIoError>
  /** Catalog by walking the store: the next page after a `(mtimeMs, location)` position, in O(limit) memory. */
  readonly scan: (options: ScanOptions) => Effect.Effect<ScanPage, BronzeIoError>
  /** Catalog by tailing `_index.jsonl` from a byte offset. */
  readonly tailIndex: (options: TailIndexOptions) => Effect.Effect<IndexPage, BronzeIoError>
  /** The next page of changes in the configured catalog mode (`scan` or `index`). */
  readonly changes: (options: {
    readonly cursor?: CatalogCursor | undefined
    readonly limit: number
  }) => Effect.Effect<ChangesPage, BronzeIoError>
}

export class BronzeReader extends Context.Service<BronzeReader, BronzeReaderShape>()(
  "@medallion/bronze/BronzeReader"
) {}
