/**
 * The YouTube plug-in from the configuration's entry to silver: its source fetches chosen videos and their
 * comment threads from a loopback server answering with captured YouTube Data API JSON, then the registry's
 * transforms turn bronze into rows on a real PostgreSQL. The videos are items, their threads comment rows
 * (replies under their top-level comment, a comment sent without text kept and marked, a thread repeated
 * by the next page written once), a video the API no longer returns is gone, and the videos answered
 * wrongly are failed items with their reasons.
 */
import { assert, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import * as FetchWorker from "../../../src/fetch/FetchWorker.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import * as TransformJob from "../../../src/transform/TransformJob.ts"
import { sourceFor, stack } from "./YoutubeStack.ts"

const Silver = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const key = (externalId: string) => ({ sourceType: "youtube", externalId })

layer(Layer.mergeAll(stack(), Silver), { timeout: 120_000 })("the youtube plug-in into silver", (it) => {
  it.effect("videos, their comment threads, the gone video and the failed ones with their reasons", () =>
    Effect.gen(function* () {
      const ids = ["D-lhorsDlUQ", "F1UP7wRCPH8", "JE8xdDp5B8Q", "wrongShape1", "truncated01", "goneVideo01"]
      yield* FetchWorker.runOnce(yield* sourceFor({ videos: ids }))
      const report = yield* TransformJob.runBatch(ids.map(key), {
        transforms: SourcePlugins.transforms(SourcePlugins.builtIn)
      })
      assert.deepStrictEqual(
        report.failures.map((f) => (f.item as { externalId: string }).externalId),
        ["wrongShape1", "truncated01"]
      )
      const repo = yield* ItemRepo
      const detail = (id: string) =>
        Effect.map(repo.get(key(id)), (row) => Option.getOrThrowWith(row, () => new Error(`no row for ${id}`)))

      const single = yield* detail("D-lhorsDlUQ")
      assert.strictEqual(single.item.title, "What are Actions on Google (Assistant on Air)")
      assert.strictEqual(single.item.author, "Google Developers")
      assert.strictEqual(single.item.url, "https://www.youtube.com/watch?v=D-lhorsDlUQ")
      assert.strictEqual(single.item.siteName, "YouTube")
      assert.strictEqual(single.item.language, "en")
      assert.include(single.item.bodyText ?? "", "In the first episode of Assistant on Air")
      assert.include(single.item.categories ?? [], "Actions on Google")
      assert.isTrue(DateTime.Equivalence(single.item.publishedAt!, DateTime.makeUnsafe("2019-03-21T20:37:49.000Z")))
      assert.strictEqual(single.item.fetchStatus, "fetched")
      assert.strictEqual(single.item.transformStatus, "transformed", single.item.transformError ?? "")
      assert.strictEqual(single.item.transformVersion, 1)
      assert.deepStrictEqual(
        single.comments.map((c) => [c.externalId, c.parentExternalId, c.deleted]),
        [
          ["UgxKREWxIgDrw8w2e_Z4AaABAg", null, false],
          ["UgyrVQaFfEdvaSzstj14AaABAg", null, false]
        ]
      )

      // Two pages that repeat their threads: each comment once, from the first page; the duration a media row.
      const paged = yield* detail("F1UP7wRCPH8")
      assert.strictEqual(paged.item.title, "Chrome Dev Summit: the web platform")
      assert.strictEqual(paged.comments.length, 5)
      assert.isTrue(paged.comments.every((c) => c.artifactType.startsWith("comments-1@")))
      const html = paged.comments.find((c) => c.externalId === "UgyZ1jqkHKYvi1-ruOZ4AaABAg")!
      assert.strictEqual(html.bodyText, "Google.com", "the text as written, not the displayed HTML")
      assert.deepStrictEqual(
        paged.media.map((m) => [m.kind, m.durationSeconds, m.url]),
        [["video", 24 * 60 + 17, "https://www.youtube.com/watch?v=F1UP7wRCPH8"]]
      )
      assert.isTrue(paged.artifacts.some((a) => a.artifactType.startsWith("comments-2@")))

      // Replies hang from their top-level comment; a comment sent without text stays, marked.
      const replies = yield* detail("JE8xdDp5B8Q")
      assert.strictEqual(replies.item.language, null)
      const rows = new Map(replies.comments.map((c) => [c.externalId, c]))
      assert.strictEqual(replies.comments.length, 7)
      const top = "Ugw5zYU6n9pmIgAZWvN4AaABAg"
      assert.deepStrictEqual(
        replies.comments.filter((c) => c.parentExternalId === top).map((c) => c.bodyText),
        ["hey, this is the replay", "this is the second reply!", "this is the third reply!"]
      )
      assert.strictEqual(rows.get(`${top}.91zT3cYb5B291za3E-eR-l`)!.depth, rows.get(top)!.depth + 1)
      const blank = rows.get("UgyWeTdgc4sc1xgmbld4AaABAg")!
      assert.deepStrictEqual([blank.author, blank.bodyText, blank.deleted], [null, null, true])

      // No longer returned: gone, and no transform failure.
      const gone = yield* detail("goneVideo01")
      assert.strictEqual(gone.item.fetchStatus, "gone")
      assert.include(gone.item.fetchError ?? "", "no video with the id goneVideo01")
      assert.strictEqual(gone.item.transformError, null)

      const wrong = yield* detail("wrongShape1")
      assert.strictEqual(wrong.item.fetchStatus, "failed")
      assert.include(wrong.item.fetchError ?? "", "video: invalid-response: YouTube videos.list")
      assert.strictEqual(wrong.item.transformStatus, "failed")
      const cut = yield* detail("truncated01")
      assert.strictEqual(cut.item.fetchStatus, "failed")
      assert.include(cut.item.fetchError ?? "", "the JSON ends early (truncated)")
    })
  )
})
