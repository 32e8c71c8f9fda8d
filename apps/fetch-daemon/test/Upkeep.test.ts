/**
 * The fetch daemon repairs what a crash left in bronze when it starts: an artifact stored without its
 * index line (the process died between the two) is indexed, so index-mode discovery sees it.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { BronzeReader, FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule } from "effect"
import { FetchHttp, RobotsTxt } from "@medallion/workers/fetch"
import * as FetchDaemon from "../src/FetchDaemon.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-fetch-upkeep-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const indexed = Effect.map(
  Effect.flatMap(BronzeReader, (reader) => reader.tailIndex({ offset: 0, maxEntries: 100 })),
  (page) => page.entries.map((entry) => entry.info.location)
)

describe("the fetch daemon's bronze upkeep", () => {
  it.live("indexes, at start, an artifact whose index line was lost", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const bronze = FileSystemBronze.layerWith({ root, catalog: "index" })
      // An artifact as a crash leaves it: the file in place, no index line.
      const stored = yield* Effect.gen(function* () {
        const reader = yield* BronzeReader
        yield* Effect.sync(() => {
          Fs.mkdirSync(Path.join(root, "hn", "8863"), { recursive: true })
          Fs.writeFileSync(Path.join(root, "hn", "8863", "item.json"), '{"id":8863}\n')
        })
        return yield* reader.listItem({ sourceType: "hn", externalId: "8863" })
      }).pipe(Effect.provide(bronze))
      assert.deepStrictEqual(
        stored.map((info) => info.location),
        ["hn/8863/item.json"]
      )
      assert.deepStrictEqual(yield* indexed.pipe(Effect.provide(bronze)), [])

      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            FetchDaemon.layer({ sources: [], concurrency: 1, reconcileEvery: Duration.hours(6) }).pipe(
              Layer.provide(RobotsTxt.layer()),
              Layer.provide(FetchHttp.layer({}))
            )
          )
          // The upkeep runs in the background as the daemon starts: wait for it (the test's timeout bounds this).
          yield* indexed.pipe(
            Effect.repeat({ until: (locations) => locations.length > 0, schedule: Schedule.spaced("50 millis") })
          )
        })
      ).pipe(Effect.provide(bronze))
      assert.deepStrictEqual(yield* indexed.pipe(Effect.provide(bronze)), ["hn/8863/item.json"])
    })
  )
})
