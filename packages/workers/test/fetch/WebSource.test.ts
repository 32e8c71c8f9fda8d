import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as WebSource from "../../src/fetch/WebSource.ts"
import { RobotsTxt } from "../../src/http/RobotsTxt.ts"
import { articleNames, FixtureServer } from "../../src/testing/FixtureServer.ts"
import { fetchStack } from "../support/FetchStack.ts"
import { served } from "../support/Fixtures.ts"

const NOW = Date.parse("2026-11-27T05:00:00Z")
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("WebSource", () => {
  it.effect("crawls a sitemap politely: pages as received, robots.txt obeyed, conditional refetch", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const source = WebSource.make({
        sitemaps: [`${server.url}/sitemap.xml`],
        urls: [`${server.url}/articles/ietf-1.html`]
      })
      const report = yield* FetchWorker.runOnce(source)
      assert.strictEqual(report.discovered, 6)
      assert.strictEqual(report.fetched, 5)
      assert.deepStrictEqual(
        report.results.filter((r) => r.outcome === "failed").map((r) => [r.externalId, r.reason]),
        [[`${server.url}/private/secret.html`, "robots-disallowed"]]
      )
      assert.strictEqual(server.hits("/private/secret.html"), 0)
      assert.strictEqual(server.hits("/robots.txt"), 1)

      const page = `${server.url}/articles/${articleNames[0]}.html`
      const files = (yield* reader.listItem({ sourceType: "web", externalId: page })).map(
        (i) => `${i.key.artifactType}.${i.key.ext}`
      )
      assert.deepStrictEqual(files, ["page-response.json", "page.html"])
      assert.deepStrictEqual(
        yield* reader.get({ sourceType: "web", externalId: page, artifactType: "page", ext: "html" }),
        served(`html/${articleNames[0]}.html`)
      )
      const sitemaps = yield* reader.listItem({
        sourceType: "web",
        externalId: WebSource.sitemapId(`${server.url}/sitemap.xml`)
      })
      assert.deepStrictEqual(
        sitemaps.map((i) => i.key.artifactType),
        ["sitemap"]
      )

      // Within refetchAfter nothing is requested; after it, a conditional request, a 304, nothing written.
      const hits = server.hits(`/articles/${articleNames[0]}.html`)
      const soon = yield* FetchWorker.runOnce(source)
      assert.strictEqual(server.hits(`/articles/${articleNames[0]}.html`), hits)
      assert.strictEqual(soon.fetched, 0)
      yield* TestClock.adjust(Duration.hours(25))
      const later = yield* FetchWorker.runOnce(source)
      assert.strictEqual(server.hits(`/articles/${articleNames[0]}.html`), hits + 1)
      assert.isTrue(
        later.results
          .filter((r) => r.externalId !== `${server.url}/private/secret.html`)
          .every((r) => r.reason === "not modified")
      )
      assert.strictEqual((yield* reader.listItem({ sourceType: "web", externalId: page })).length, 2)
    }).pipe(Effect.provide(Layer.provideMerge(RobotsTxt.layer(), fetchStack())))
  )

  it.effect("records a failed page (status, headers) and a page over the size limit", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(NOW)
      const server = yield* FixtureServer
      const reader = yield* BronzeReader
      const missing = `${server.url}/articles/no-such-page.html`
      const huge = `${server.url}/fault/big?bytes=2000000`
      const report = yield* FetchWorker.runOnce(
        WebSource.make({ urls: [missing, huge, `${server.url}/articles/dev418.html`] })
      )
      assert.deepStrictEqual(
        report.results.map((r) => r.outcome),
        ["failed", "failed", "fetched"]
      )
      const missingRecord = JSON.parse(
        text(yield* reader.get((yield* reader.listItem({ sourceType: "web", externalId: missing }))[0]!.key))
      )
      assert.strictEqual(missingRecord.status, 404)
      assert.strictEqual(missingRecord.headers["content-type"], "text/plain")
      const hugeRecord = JSON.parse(
        text(yield* reader.get((yield* reader.listItem({ sourceType: "web", externalId: huge }))[0]!.key))
      )
      assert.strictEqual(hugeRecord.reason, "too-large")
    }).pipe(Effect.provide(Layer.provideMerge(RobotsTxt.layer(), fetchStack({}, { maxBodyBytes: 1024 * 1024 }))))
  )
})
