/**
 * The fetch daemon gives its sources an `ExtractPool`: the parsing `FeedSource` and the `Enricher` do
 * then runs in a worker thread within its budget instead of on the daemon's own thread.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Layer, Option } from "effect"
import { ExtractPool, FetchHttp, RobotsTxt, type Source } from "@medallion/workers/fetch"
import * as FetchDaemon from "../src/FetchDaemon.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-fetch-pool-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("the fetch daemon's extraction threads", () => {
  it.live("its sources' discoveries run with an ExtractPool of the configured size", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const seen = yield* Deferred.make<number | undefined>()
      const probe: Source = {
        sourceType: "probe",
        discover: Effect.flatMap(Effect.serviceOption(ExtractPool), (pool) =>
          Effect.as(Deferred.succeed(seen, Option.isSome(pool) ? pool.value.threads : undefined), [])
        ),
        fetchItem: () => Effect.die("no items")
      }
      const threads = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            FetchDaemon.layer({
              sources: [{ name: "probe", source: probe, every: Duration.hours(1) }],
              concurrency: 1,
              extractThreads: 2
            }).pipe(
              Layer.provide(FileSystemBronze.layerWith({ root, catalog: "index" })),
              Layer.provide(RobotsTxt.layer()),
              Layer.provide(FetchHttp.layer({}))
            )
          )
          return yield* Deferred.await(seen)
        })
      )
      assert.strictEqual(threads, 2)
    })
  )
})
