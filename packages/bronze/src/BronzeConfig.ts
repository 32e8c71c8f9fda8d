/**
 * Where the raw store lives and how its catalog answers "what changed".
 */
import { Config, Context, Effect, Layer, Schema } from "effect"

/**
 * `scan`: readers walk the tree and filter by `(mtime, location)`; writers keep no index (fine below
 * ~100k artifacts). `index`: writers append one line per artifact to `_index.jsonl` after it became
 * visible, and readers tail it from a byte offset.
 */
export const CatalogMode = Schema.Literals(["scan", "index"])
export type CatalogMode = typeof CatalogMode.Type

export interface BronzeOptions {
  /** Root folder (filesystem store); locations are relative to it. */
  readonly root: string
  readonly catalog: CatalogMode
  /** Temp files older than this are removed by `reconcile` (default one hour). */
  readonly tempGraceMs?: number | undefined
}

export const DEFAULT_ROOT = "data/bronze"
export const DEFAULT_TEMP_GRACE_MS = 60 * 60 * 1000

export class BronzeConfig extends Context.Service<BronzeConfig, BronzeOptions>()("@medallion/bronze/BronzeConfig") {
  /** From the environment: `MEDALLION_BRONZE_ROOT` (default `data/bronze`), `MEDALLION_BRONZE_CATALOG` (`scan` | `index`, default `scan`), `MEDALLION_BRONZE_TEMP_GRACE_MS`. */
  static readonly layer = Layer.effect(
    BronzeConfig,
    Effect.gen(function* () {
      const root = yield* Config.String("MEDALLION_BRONZE_ROOT").pipe(Config.withDefault(DEFAULT_ROOT))
      const catalog = yield* Config.Literals(["scan", "index"], "MEDALLION_BRONZE_CATALOG").pipe(
        Config.withDefault("scan" as const)
      )
      const tempGraceMs = yield* Config.Int("MEDALLION_BRONZE_TEMP_GRACE_MS").pipe(
        Config.withDefault(DEFAULT_TEMP_GRACE_MS)
      )
      return BronzeConfig.of({ root, catalog, tempGraceMs })
    })
  )

  static readonly layerWith = (options: BronzeOptions): Layer.Layer<BronzeConfig> =>
    Layer.succeed(BronzeConfig, BronzeConfig.of(options))
}
