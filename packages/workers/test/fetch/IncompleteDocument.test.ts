/**
 * A fetch killed between a document and its response record leaves the document alone: the next fetch
 * treats it as not fetched and completes it (the record for the same bytes, or a new version with its
 * record), so no item keeps a page without its charset and validators.
 */
import { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as ItemArtifacts from "../../src/fetch/ItemArtifacts.ts"
import * as WebSource from "../../src/fetch/WebSource.ts"
import { RobotsTxt } from "../../src/http/RobotsTxt.ts"
import { articleNames, FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const names = (infos: ReadonlyArray<{ readonly key: { readonly artifactType: string; readonly ext: string } }>) =>
  infos.map((i) => `${i.key.artifactType}.${i.key.ext}`).sort()

describe("a document stored without its response record", () => {
  it.effect("is fetched again without validators and completed: same bytes get their record, no new version", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const writer = yield* BronzeWriter
      const url = `${server.url}/articles/${articleNames[0]}.html`
      const item = { sourceType: "web", externalId: url }
      // What a kill between the two writes leaves: the page, no page-response.
      yield* writer.put({ ...item, artifactType: "page", ext: "html" }, served(`html/${articleNames[0]}.html`))
      const before = yield* reader.listItem(item)
      assert.isFalse(ItemArtifacts.isComplete(before, ItemArtifacts.latest(before, "page")))

      const report = yield* FetchWorker.runOnce(WebSource.make({ urls: [url] }))
      assert.deepStrictEqual(
        report.results.map((r) => r.outcome),
        ["fetched"]
      )
      const after = yield* reader.listItem(item)
      assert.deepStrictEqual(names(after), ["page-response.json", "page.html"])
      assert.isTrue(ItemArtifacts.isComplete(after, ItemArtifacts.latest(after, "page")))
      const record = JSON.parse(
        new TextDecoder().decode(yield* reader.get({ ...item, artifactType: "page-response", ext: "json" }))
      )
      assert.match(record.headers["content-type"], /text\/html/)
    }).pipe(Effect.provide(Layer.provideMerge(RobotsTxt.layer(), fetchStack())))
  )

  it.effect("with different bytes now, a new version is stored with its own record under one stamp", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const writer = yield* BronzeWriter
      const url = `${server.url}/articles/${articleNames[1]}.html`
      const item = { sourceType: "web", externalId: url }
      yield* writer.put(
        { ...item, artifactType: "page", ext: "html" },
        new TextEncoder().encode("<p>an older copy</p>")
      )

      yield* FetchWorker.runOnce(WebSource.make({ urls: [url] }))
      const after = yield* reader.listItem(item)
      assert.deepStrictEqual(names(after), [
        "page-response@2026-11-27T05-00-00Z.json",
        "page.html",
        "page@2026-11-27T05-00-00Z.html"
      ])
      assert.isTrue(ItemArtifacts.isComplete(after, ItemArtifacts.latest(after, "page")))
    }).pipe(Effect.provide(Layer.provideMerge(RobotsTxt.layer(), fetchStack())))
  )
})
