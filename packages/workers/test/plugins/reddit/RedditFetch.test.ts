/**
 * The Reddit plug-in's configuration and fetch side against a loopback server answering with captured
 * Reddit JSON: entries decoded with clear errors, a listing and configured threads stored as received,
 * `more` stubs expanded within `maxMoreComments`, a response of the wrong shape (or cut short) a failed
 * item with its reason while the batch goes on, and robots.txt asked.
 */
import { BronzeReader } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import * as FetchWorker from "../../../src/fetch/FetchWorker.ts"
import * as RedditThing from "../../../src/plugins/reddit/RedditThing.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import { served, testFixture } from "../../support/Fixtures.ts"
import { RedditServer } from "./RedditServer.ts"
import { decode, sourceFor, stack } from "./RedditStack.ts"

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("the reddit plug-in", () => {
  it.effect("decodes an entry with its defaults, and names each bad field", () =>
    Effect.gen(function* () {
      const [entry] = yield* decode([{ type: "reddit", name: "ts", subreddit: "typescript" }])
      assert.strictEqual(entry!["baseUrl"], "https://www.reddit.com")
      assert.strictEqual(entry!["listing"], "new")
      assert.strictEqual(entry!["maxPosts"], 25)
      assert.strictEqual(entry!["maxMoreComments"], 500)
      assert.deepStrictEqual(entry!["threads"], [])
      assert.isTrue(Duration.equals(entry!.every, Duration.minutes(15)))
      assert.strictEqual(SourcePlugins.transforms(SourcePlugins.builtIn).get("reddit")?.version, 1)

      const bad = yield* Effect.flip(
        decode([
          {
            type: "reddit",
            name: "bad",
            baseUrl: "ftp://reddit.com",
            subreddit: "r/typescript",
            listing: "best",
            threads: ["https://www.reddit.com/r/typescript/", "abc123"],
            maxPosts: 500,
            maxMoreComments: 0,
            refetchAfter: "soon",
            subredit: "typo"
          }
        ])
      )
      assert.include(bad.message, 'Expected an http(s) URL\n  at [0]["baseUrl"]')
      assert.include(bad.message, 'Expected a subreddit name such as "typescript" (no "r/")')
      assert.include(bad.message, 'at [0]["subreddit"]')
      assert.include(bad.message, 'at [0]["listing"]')
      assert.include(bad.message, `Expected a Reddit thread permalink (".../comments/<id>/...") or its id`)
      assert.include(bad.message, 'at [0]["threads"][0]')
      assert.notInclude(bad.message, 'at [0]["threads"][1]')
      assert.include(bad.message, 'at [0]["maxPosts"]')
      assert.include(bad.message, 'at [0]["maxMoreComments"]')
      assert.include(bad.message, 'at [0]["refetchAfter"]')
      assert.include(bad.message, 'at [0]["subredit"]')
      // An entry must be named: several subreddits are several entries.
      const unnamed = yield* Effect.flip(decode([{ type: "reddit", subreddit: "typescript" }]))
      assert.include(unnamed.message, 'at [0]["name"]')
    })
  )

  it.effect("reads listings of any mix of things, and refuses a known thing of the wrong shape", () =>
    Effect.gen(function* () {
      const mixed = yield* RedditThing.decodeListing(testFixture("reddit/listings_posts-comments-subreddits.json"))
      assert.deepStrictEqual(RedditThing.postIds(mixed), ["i2gvg4"])
      const posts = yield* RedditThing.decodeListing(testFixture("reddit/subreddit_posts.json"))
      assert.deepStrictEqual(RedditThing.postIds(posts), ["agi5zf", "hyhquk"])
      const broken = JSON.parse(text(testFixture("reddit/subreddit_posts.json")))
      delete broken.data.children[1].data.title
      const error = yield* Effect.flip(RedditThing.decodeListing(new TextEncoder().encode(JSON.stringify(broken))))
      assert.strictEqual(error.kind, "schema-mismatch")
      assert.include(error.reason, '["title"]')

      const thread = JSON.parse(text(served("reddit/post_post.json")))
      thread[0].data.children = []
      const postless = yield* Effect.flip(RedditThing.decodeThread(new TextEncoder().encode(JSON.stringify(thread))))
      assert.strictEqual(postless.reason, "Reddit thread: its first listing holds 0 posts (t3), not 1")

      const answer = yield* RedditThing.decodeMoreChildren(served("reddit/post_more.json"))
      assert.deepStrictEqual(
        RedditThing.comments(answer).map((c) => c.id),
        ["def", "ghi", "jkl"]
      )
      const limited = JSON.parse(text(served("reddit/post_more.json")))
      limited.json.errors = [["RATELIMIT", "you are doing that too much", "ratelimit"]]
      const refused = yield* Effect.flip(
        RedditThing.decodeMoreChildren(new TextEncoder().encode(JSON.stringify(limited)))
      )
      assert.include(refused.reason, "the API reported errors")
      assert.include(refused.reason, "RATELIMIT")
    })
  )

  it.effect("stores the listing and each thread as received, a bad answer a failed item with its reason", () =>
    Effect.gen(function* () {
      const server = yield* RedditServer
      const reader = yield* BronzeReader
      const source = yield* sourceFor({
        subreddit: "test",
        threads: ["https://www.reddit.com/r/test/comments/testpost/test/", "123"],
        maxMoreComments: 3
      })
      const report = yield* FetchWorker.runOnce(source)
      assert.strictEqual(report.discovered, 4)
      const byId = new Map(report.results.map((r) => [r.externalId, r]))
      assert.strictEqual(byId.get("testpost")?.outcome, "fetched")
      assert.strictEqual(byId.get("123")?.outcome, "fetched")
      // r/test's posts: one answered with a listing where the thread belongs, one cut short.
      assert.strictEqual(byId.get("agi5zf")?.outcome, "failed")
      assert.include(byId.get("agi5zf")?.reason ?? "", "Reddit thread")
      assert.strictEqual(byId.get("hyhquk")?.outcome, "failed")
      assert.include(byId.get("hyhquk")?.reason ?? "", "truncated")

      const listing = yield* reader.listItem({ sourceType: "reddit", externalId: "_r_test" })
      assert.deepStrictEqual(listing.map((i) => i.key.artifactType).sort(), ["new", "selected"])
      const stored = listing.find((i) => i.key.artifactType === "new")!
      assert.deepStrictEqual(yield* reader.get(stored.key), testFixture("reddit/subreddit_posts.json"))

      const files = yield* reader.listItem({ sourceType: "reddit", externalId: "123" })
      const names = files.map((i) => i.key.artifactType.split("@")[0]).sort()
      assert.deepStrictEqual(names, ["more-1", "thread"])
      const more = files.find((i) => i.key.artifactType.startsWith("more-1@"))!
      assert.deepStrictEqual(yield* reader.get(more.key), served("reddit/post_more.json"))
      assert.strictEqual(
        more.key.artifactType.split("@")[1],
        files.find((i) => i.key.artifactType.startsWith("thread@"))!.key.artifactType.split("@")[1],
        "the answers carry their thread's stamp"
      )

      // One request for the stub's three comments; the answer's own stub is beyond maxMoreComments.
      const asked = server.requests().filter((u) => u.pathname === "/api/morechildren.json")
      assert.deepStrictEqual(
        asked.map((u) => [u.searchParams.get("link_id"), u.searchParams.get("children")]),
        [["t3_123", "def,ghi,jkl"]]
      )

      const failed = yield* reader.listItem({ sourceType: "reddit", externalId: "agi5zf" })
      const record = failed.find((i) => i.key.artifactType.startsWith("fetch-error@"))!
      const body = JSON.parse(text(yield* reader.get(record.key)))
      assert.strictEqual(body.reason, "invalid-response")
      assert.include(body.message, "Reddit thread")

      // A second pass: everything fetched is up to date, nothing is asked again.
      const before = server.requests().length
      const again = yield* FetchWorker.runOnce(source)
      assert.deepStrictEqual(again.results.map((r) => [r.externalId, r.outcome, r.reason]).sort(), [
        ["123", "skipped", "up to date"],
        ["agi5zf", "skipped", "failed recently"],
        ["hyhquk", "skipped", "failed recently"],
        ["testpost", "skipped", "up to date"]
      ])
      assert.deepStrictEqual(
        server
          .requests()
          .slice(before)
          .map((u) => u.pathname),
        ["/r/test/new.json"]
      )
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a thread is fetched again after refetchAfter while its post is younger than refetchWindow", () =>
    Effect.gen(function* () {
      const reader = yield* BronzeReader
      const created = 1595067967 * 1000 // post_post.json's created_utc
      yield* TestClock.setTime(created + 60 * 60 * 1000)
      const source = yield* sourceFor({ threads: ["testpost"], refetchAfter: "6 hours", refetchWindow: "2 days" })
      const outcomes = Effect.map(FetchWorker.runOnce(source), (r) => r.results.map((x) => [x.outcome, x.reason]))
      assert.deepStrictEqual(yield* outcomes, [["fetched", undefined]])
      yield* TestClock.adjust("5 hours")
      assert.deepStrictEqual(yield* outcomes, [["skipped", "up to date"]])
      yield* TestClock.adjust("2 hours")
      assert.deepStrictEqual(yield* outcomes, [["fetched", undefined]])
      yield* TestClock.adjust("3 days")
      assert.deepStrictEqual(yield* outcomes, [["skipped", "up to date (older than refetchWindow)"]])
      const versions = (yield* reader.listItem({ sourceType: "reddit", externalId: "testpost" })).filter((i) =>
        i.key.artifactType.startsWith("thread@")
      )
      assert.strictEqual(versions.length, 2)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a larger maxMoreComments follows the answer's own stub", () =>
    Effect.gen(function* () {
      const server = yield* RedditServer
      const source = yield* sourceFor({ threads: ["123"], maxMoreComments: 10 })
      yield* FetchWorker.runOnce(source)
      const asked = server.requests().filter((u) => u.pathname === "/api/morechildren.json")
      assert.deepStrictEqual(
        asked.map((u) => u.searchParams.get("children")),
        ["def,ghi,jkl", "fye3844"]
      )
    }).pipe(Effect.provide(stack()))
  )

  it.effect(
    "a morechildren answer of the wrong shape is stored, recorded with its reason, and ends the expansion",
    () =>
      Effect.gen(function* () {
        const reader = yield* BronzeReader
        const report = yield* FetchWorker.runOnce(yield* sourceFor({ threads: ["123"] }))
        assert.strictEqual(report.results[0]?.outcome, "fetched")
        const files = yield* reader.listItem({ sourceType: "reddit", externalId: "123" })
        assert.deepStrictEqual(files.map((i) => i.key.artifactType.split("@")[0]).sort(), [
          "fetch-error",
          "more-1",
          "thread"
        ])
        const more = files.find((i) => i.key.artifactType.startsWith("more-1@"))!
        assert.deepStrictEqual(yield* reader.get(more.key), testFixture("reddit/subreddit_posts.json"))
        const record = JSON.parse(
          text(yield* reader.get(files.find((i) => i.key.artifactType.startsWith("fetch-error@"))!.key))
        )
        assert.strictEqual(record.artifact, "more-1")
        assert.strictEqual(record.reason, "invalid-response")
        assert.include(record.message, "Reddit morechildren")
      }).pipe(Effect.provide(stack({ moreChildren: "subreddit_posts.json" })))
  )

  it.effect("asks robots.txt first: a disallowed thread is a refused item, not fetched", () =>
    Effect.gen(function* () {
      const server = yield* RedditServer
      const reader = yield* BronzeReader
      const report = yield* FetchWorker.runOnce(yield* sourceFor({ threads: ["testpost"] }))
      assert.strictEqual(report.results[0]?.outcome, "failed")
      assert.strictEqual(report.results[0]?.reason, "robots-disallowed")
      assert.deepStrictEqual(
        server.requests().map((u) => u.pathname),
        ["/robots.txt"]
      )
      const files = yield* reader.listItem({ sourceType: "reddit", externalId: "testpost" })
      assert.deepStrictEqual(
        files.map((i) => i.key.artifactType.split("@")[0]),
        ["fetch-error"]
      )
    }).pipe(Effect.provide(stack({ robots: "User-agent: *\nDisallow: /\n" })))
  )
})
