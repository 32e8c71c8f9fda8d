/**
 * The capability to add artifacts. A component that must not write bronze simply does not require it.
 */
import { Context, type Effect, type Stream } from "effect"
import type { ArtifactKey, PutResult } from "./ArtifactKey.ts"
import type { ArtifactConflict, BronzeIoError, InvalidKey } from "./BronzeErrors.ts"

export interface BronzeWriterShape {
  /**
   * Stores the bytes under the key, atomically and durably. The same bytes again succeed with
   * `outcome: "unchanged"`; different bytes fail with `ArtifactConflict` and leave the stored artifact as is.
   * A key that breaks a rule of `ArtifactKey` (e.g. an id with U+0000) fails with `InvalidKey`, naming it.
   */
  readonly put: (
    key: ArtifactKey,
    bytes: Uint8Array
  ) => Effect.Effect<PutResult, ArtifactConflict | BronzeIoError | InvalidKey>
  /** As `put`, from a stream, in bounded memory (for media). A stream failure leaves nothing visible. */
  readonly putStream: <E>(
    key: ArtifactKey,
    body: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<PutResult, ArtifactConflict | BronzeIoError | InvalidKey | E>
}

export class BronzeWriter extends Context.Service<BronzeWriter, BronzeWriterShape>()(
  "@medallion/bronze/BronzeWriter"
) {}
