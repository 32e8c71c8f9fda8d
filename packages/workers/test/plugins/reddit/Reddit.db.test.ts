/**
 * The Reddit plug-in from the configuration's entry to silver: its source fetches r/test's listing and
 * two configured threads from a loopback server answering with captured Reddit JSON, then the registry's
 * transforms turn bronze into rows on a real PostgreSQL. The posts are items, their comment trees comment
 * rows (the morechildren answer's comments included, deleted and removed ones kept and marked), and the
 * threads answered wrongly are failed items with their reasons.
 */
import { assert, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import * as FetchWorker from "../../../src/fetch/FetchWorker.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import * as TransformJob from "../../../src/transform/TransformJob.ts"
import { sourceFor, stack } from "./RedditStack.ts"

const Silver = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const key = (externalId: string) => ({ sourceType: "reddit", externalId })
const at = (seconds: number) => DateTime.makeUnsafe(seconds * 1000)

layer(Layer.mergeAll(stack(), Silver), { timeout: 120_000 })("the reddit plug-in into silver", (it) => {
  it.effect("posts, their whole comment trees and the failed threads with their reasons", () =>
    Effect.gen(function* () {
      const source = yield* sourceFor({
        subreddit: "test",
        threads: ["https://www.reddit.com/r/test/comments/testpost/test/", "/r/AskReddit/comments/123/"],
        maxMoreComments: 3
      })
      yield* FetchWorker.runOnce(source)
      const ids = ["_r_test", "testpost", "123", "agi5zf", "hyhquk"]
      const report = yield* TransformJob.runBatch(ids.map(key), {
        transforms: SourcePlugins.transforms(SourcePlugins.builtIn)
      })
      // The threads answered wrongly are the run's failed items, with what was wrong.
      assert.deepStrictEqual(
        report.failures.map((f) => [
          (f.item as { externalId: string }).externalId,
          f.reason.split(": ").slice(2, 3)[0]
        ]),
        [
          ["agi5zf", "Reddit thread"],
          ["hyhquk", "Reddit thread"]
        ]
      )
      const repo = yield* ItemRepo
      const detail = (id: string) =>
        Effect.map(repo.get(key(id)), (row) => Option.getOrThrowWith(row, () => new Error(`no row for ${id}`)))

      // The listing folder is no item; its posts are.
      assert.isTrue(Option.isNone(yield* repo.get(key("_r_test"))))

      const testpost = yield* detail("testpost")
      assert.strictEqual(testpost.item.title, "Test")
      assert.strictEqual(testpost.item.author, "testuser")
      assert.strictEqual(testpost.item.bodyText, "Hello")
      assert.strictEqual(testpost.item.url, "https://www.reddit.com/r/test/comments/testpost/test/")
      assert.strictEqual(testpost.item.siteName, "r/test")
      assert.isTrue(DateTime.Equivalence(testpost.item.publishedAt!, at(1595067967)))
      assert.strictEqual(testpost.item.fetchStatus, "fetched")
      assert.strictEqual(testpost.item.transformStatus, "transformed")
      assert.strictEqual(testpost.item.transformVersion, 1)
      assert.deepStrictEqual(
        testpost.comments.map((c) => [c.externalId, c.parentExternalId, c.author, c.bodyText, c.deleted]),
        [
          ["testc1", null, "testuser", "Hi", false],
          ["testc2", "testc1", "testuser", "Hello", false]
        ]
      )
      assert.isTrue(DateTime.Equivalence(testpost.comments[0]!.publishedAt!, at(1595068319)))

      const thread = yield* detail("123")
      assert.strictEqual(thread.item.title, "Which scene from an animated film will always be...")
      assert.strictEqual(thread.item.bodyText, null, "a link post has no text of its own")
      assert.strictEqual(thread.item.transformStatus, "transformed", thread.item.transformError ?? "")
      const comments = new Map(thread.comments.map((c) => [c.externalId, c]))
      assert.strictEqual(thread.comments.length, 7)
      const row = (id: string) => {
        const c = comments.get(id)!
        return [c.parentExternalId, c.author, c.bodyText, c.deleted, c.artifactType.split("@")[0]]
      }
      assert.deepStrictEqual(row("abc"), [null, "testuser", "Hi", false, "thread"])
      // Deleted by its author, removed by moderators: rows as Reddit shows them, marked, a reply kept under one.
      assert.deepStrictEqual(row("del"), [null, "[deleted]", "[deleted]", true, "thread"])
      assert.deepStrictEqual(row("rpl"), ["del", "testuser", "Hello", false, "thread"])
      assert.deepStrictEqual(row("rem"), [null, "[deleted]", "[removed]", true, "thread"])
      // The morechildren answer: its comments hang from their parents, the post's reply from the item.
      assert.deepStrictEqual(row("def"), ["abc", "testuser1", comments.get("def")!.bodyText, false, "more-1"])
      assert.include(comments.get("def")!.bodyText ?? "", "I came here to say exactly this")
      assert.deepStrictEqual(row("ghi")[0], "def")
      assert.deepStrictEqual(row("jkl")[0], null)
      assert.strictEqual(comments.get("jkl")!.author, "testuser2")
      assert.strictEqual(comments.get("rpl")!.depth, comments.get("del")!.depth + 1)
      assert.isTrue(
        thread.artifacts.some((a) => a.artifactType.startsWith("more-1@")),
        "the morechildren answer is provenance"
      )

      // The wrong answers: failed items, each with what was wrong.
      const wrong = yield* detail("agi5zf")
      assert.strictEqual(wrong.item.fetchStatus, "failed")
      assert.include(wrong.item.fetchError ?? "", "thread: invalid-response: Reddit thread")
      assert.strictEqual(wrong.item.transformStatus, "failed")
      assert.include(wrong.item.transformError ?? "", "Reddit thread")
      const cut = yield* detail("hyhquk")
      assert.strictEqual(cut.item.fetchStatus, "failed")
      assert.include(cut.item.fetchError ?? "", "the JSON ends early (truncated)")
    })
  )
})
