import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { BronzeConfig, BronzeReader, FileSystemBronze } from "../src/index.ts"
import { tempRoot } from "./TempRoot.ts"

const withEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

describe("BronzeConfig", () => {
  it.effect("reads the root, the catalog mode and the grace period from the environment", () =>
    Effect.gen(function* () {
      const config = yield* Effect.provide(
        BronzeConfig,
        BronzeConfig.layer.pipe(
          Layer.provide(
            withEnv({
              MEDALLION_BRONZE_ROOT: "/srv/bronze",
              MEDALLION_BRONZE_CATALOG: "index",
              MEDALLION_BRONZE_TEMP_GRACE_MS: "5000"
            })
          )
        )
      )
      assert.deepStrictEqual({ ...config }, { root: "/srv/bronze", catalog: "index", tempGraceMs: 5000 })
      const defaults = yield* Effect.provide(BronzeConfig, BronzeConfig.layer.pipe(Layer.provide(withEnv({}))))
      assert.deepStrictEqual({ ...defaults }, { root: "data/bronze", catalog: "scan", tempGraceMs: 3_600_000 })
    })
  )

  it.effect("refuses an unknown catalog mode", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.provide(
          BronzeConfig,
          BronzeConfig.layer.pipe(Layer.provide(withEnv({ MEDALLION_BRONZE_CATALOG: "sqlite" })))
        )
      )
      assert.strictEqual(exit._tag, "Failure")
    })
  )

  it.effect("FileSystemBronze.layerReader follows the configured catalog mode", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const reader = yield* Effect.provide(
        BronzeReader,
        FileSystemBronze.layerReaderNoDeps.pipe(
          Layer.provide(BronzeConfig.layer),
          Layer.provide(withEnv({ MEDALLION_BRONZE_ROOT: root, MEDALLION_BRONZE_CATALOG: "index" }))
        )
      )
      const page = yield* reader.changes({ limit: 10 })
      assert.strictEqual(page.cursor._tag, "Index")
    })
  )
})
