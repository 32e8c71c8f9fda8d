/**
 * A scheduled source with services of its own (a plug-in's `layer`): built once when the daemon
 * starts, provided to the source's discovery and fetches, released when the daemon stops; one that
 * cannot be built stops the start with the source's name and the reason.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Layer } from "effect"
import { FetchHttp, RobotsTxt, type Source } from "@medallion/workers/fetch"
import * as FetchDaemon from "../src/FetchDaemon.ts"

class Quota extends Context.Service<Quota, { readonly take: Effect.Effect<number> }>()("Quota") {}

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-source-layer-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const fetchSide = (root: string) =>
  Layer.mergeAll(FileSystemBronze.layerWith({ root, catalog: "index" }), RobotsTxt.layer()).pipe(
    Layer.provideMerge(FetchHttp.layer({}))
  )

describe("a scheduled source's own layer", () => {
  it.live("is built once, used by discovery and every fetch, and released on shutdown", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      let builds = 0
      let releases = 0
      let taken = 0
      const fetched = yield* Deferred.make<ReadonlyArray<number>>()
      const seen: Array<number> = []
      const quota = Layer.effect(
        Quota,
        Effect.acquireRelease(
          Effect.sync(() => {
            builds++
            return { take: Effect.sync(() => ++taken) }
          }),
          () => Effect.sync(() => void releases++)
        )
      )
      const source: Source<Quota> = {
        sourceType: "quota",
        discover: Effect.gen(function* () {
          yield* (yield* Quota).take
          return [{ externalId: "a" }, { externalId: "b" }]
        }),
        fetchItem: (item) =>
          Effect.gen(function* () {
            seen.push(yield* (yield* Quota).take)
            if (seen.length === 2) yield* Deferred.succeed(fetched, seen)
            return { externalId: item.externalId, outcome: "skipped" as const, written: [] }
          })
      }
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            FetchDaemon.layer({
              sources: [{ name: "metered", source, every: Duration.hours(1), layer: quota }],
              concurrency: 1
            }).pipe(Layer.provide(fetchSide(root)))
          )
          assert.strictEqual((yield* Deferred.await(fetched)).length, 2)
        })
      )
      assert.strictEqual(builds, 1)
      assert.strictEqual(taken, 3, "discovery and both fetches used the one built service")
      assert.strictEqual(releases, 1)
    })
  )

  it.live("that cannot be built stops the start, naming the source and why", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const source: Source<Quota> = {
        sourceType: "quota",
        discover: Effect.succeed([]),
        fetchItem: () => Effect.die("never asked")
      }
      const error = yield* Effect.scoped(
        Layer.build(
          FetchDaemon.layer({
            sources: [
              {
                name: "metered",
                source,
                every: Duration.hours(1),
                layer: Layer.effect(Quota, Effect.fail(new Error("MEDALLION_QUOTA_KEY is not set")))
              }
            ],
            concurrency: 1
          }).pipe(Layer.provide(fetchSide(root)))
        )
      ).pipe(Effect.flip)
      assert.include(error.message, "the services of source metered could not be built")
      assert.include(error.message, "MEDALLION_QUOTA_KEY is not set")
    })
  )
})
