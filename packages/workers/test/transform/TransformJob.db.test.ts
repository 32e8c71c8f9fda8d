/**
 * bronze (the filesystem store, laid out as the fetch side names artifacts) -> the transform job ->
 * silver on a real PostgreSQL: the rows users query, checked against the fixtures' own metadata, and
 * the bad inputs that must never stop a batch or cost silver what it holds.
 */
import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import * as FetchWorker from "../../src/fetch/FetchWorker.ts"
import * as WebSource from "../../src/fetch/WebSource.ts"
import { RobotsTxt } from "../../src/http/RobotsTxt.ts"
import { articleNames, FixtureServer } from "../../src/testing/FixtureServer.ts"
import { ItemDraft } from "../../src/transform/ItemDraft.ts"
import type { SourceTransform } from "../../src/transform/SourceTransform.ts"
import * as SourceTransforms from "../../src/transform/SourceTransforms.ts"
import { hn as hnTransform } from "../../src/transform/sources/hn.ts"
import * as TransformJob from "../../src/transform/TransformJob.ts"
import { fetchStack } from "../support/FetchStack.ts"
import * as F from "./Fixtures.ts"

const Bronze = Layer.unwrap(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "transform-test-"))),
      (dir) => Effect.promise(() => NodeFs.rm(dir, { recursive: true, force: true }))
    ),
    (root) => FileSystemBronze.layerWith({ root, catalog: "scan" })
  )
)
const Silver = ItemRepo.layer.pipe(
  Layer.provideMerge(SilverDatabase.layerFromClient()),
  Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
)

const hn = (id: string) => ({ sourceType: "hn", externalId: id })
const web = (page: string) => ({ sourceType: "web", externalId: `https://example.org/${page}` })
const ENTRY = "https://www.narro.co/article/54e703933058540300000069"

const detail = (key: { sourceType: string; externalId: string }) =>
  ItemRepo.use((repo) => repo.get(key)).pipe(
    Effect.map((found) => Option.getOrThrowWith(found, () => new Error(`${key.externalId} is not in silver`)))
  )

/** A feed of `n` entries: the real feed's one item, repeated with an id of its own each time. */
const bigFeed = (n: number): string => {
  const feed = F.text("feeds/narro.rss")
  const start = feed.indexOf("<item>")
  const end = feed.indexOf("</item>") + "</item>".length
  const item = feed.slice(start, end)
  const items = Array.from({ length: n }, (_, i) => item.replace(/<guid>[^<]*<\/guid>/, `<guid>entry-${i}</guid>`))
  return feed.slice(0, start) + items.join("\n") + feed.slice(end)
}

layer(Layer.mergeAll(Bronze, Silver), { timeout: 120_000 })("TransformJob on PostgreSQL", (it) => {
  const batch = [
    hn("47336100"),
    hn("8863"),
    hn("40475078"),
    hn("19155826"),
    hn("_lists"),
    ...F.HTML_PAGES.map(web),
    { sourceType: "feed", externalId: "_feed:https://on.narro.co/f" },
    { sourceType: "feed", externalId: ENTRY },
    { sourceType: "feed", externalId: "_feed:http://fishhawk2.marketwatch.com/rss" },
    web("huge")
  ]

  it.effect("turns bronze into the expected silver rows; bad items are reported and the batch goes on", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", F.threadComments())
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      yield* F.put("hn", "8863", "article", "html", F.bytes("html/ietf-1.html"))
      yield* F.put("hn", "40475078", "item", "json", F.bytes("hn/40475078_comment_deleted.json"))
      yield* F.put("hn", "19155826", "item", "json", F.bytes("hn/19155826_story_handedited_invalid.json"))
      yield* F.put("hn", "_lists", "topstories@2026-11-27T05-00-00Z", "json", F.bytes("hn/topstories_ids_2023-08.json"))
      for (const page of F.HTML_PAGES)
        yield* F.put("web", web(page).externalId, "page", "html", F.bytes(`html/${page}.html`))
      yield* F.put(
        "feed",
        "_feed:https://on.narro.co/f",
        "feed@2026-11-27T05-00-00Z",
        "xml",
        F.bytes("feeds/narro.rss")
      )
      yield* F.put(
        "feed",
        ENTRY,
        "entry",
        "json",
        // The record the fetch side derives from the feed for each entry.
        JSON.stringify({
          feedUrl: "https://on.narro.co/f",
          feedArtifact: "feed@2026-11-27T05-00-00Z",
          guid: ENTRY,
          guidSource: "guid",
          title: "FAQ for Narro",
          link: ENTRY,
          published: "Fri, 20 Feb 2015 09:51:15 UTC",
          enclosures: [{ url: "https://s3.amazonaws.com/nareta-articles/audio/x.mp3", type: "audio/mpeg", length: 74 }]
        })
      )
      yield* F.put("feed", ENTRY, "audio", "mp3", F.bytes("whisper/jfk.mp3"))
      yield* F.put("feed", ENTRY, "transcript", "json", F.bytes("whisper/SeanTCoder_jfk.json"))
      yield* F.put("feed", ENTRY, "enrichment-prompt", "json", JSON.stringify({ model: "gpt-4o-mini", messages: [] }))
      yield* F.put(
        "feed",
        ENTRY,
        "enrichment-response",
        "json",
        F.bytes("openai/drac1661_chat_completion_gpt-4o-mini.json")
      )
      yield* F.put(
        "feed",
        "_feed:http://fishhawk2.marketwatch.com/rss",
        "feed@2026-11-27T05-00-00Z",
        "rss",
        F.bytes("feeds/unrecognized.rss")
      )
      // A 100 MB page: refused from its size, never read into memory.
      const page = F.bytes("html/aclu.html")
      const huge = new Uint8Array(100 * 1024 * 1024)
      for (let at = 0; at < huge.length; at += page.length)
        huge.set(page.subarray(0, Math.min(page.length, huge.length - at)), at)
      const writer = yield* BronzeWriter
      yield* writer.put({ ...web("huge"), artifactType: "page", ext: "html" }, huge)

      const report = yield* TransformJob.runBatch(batch)
      // The feed that is no feed becomes a row of its own saying so; it fails no run.
      assert.deepStrictEqual(report.upserted, { inserted: 14, updated: 0, unchanged: 0 })
      assert.deepStrictEqual(
        report.failures.map((f) => f.item.externalId).sort(),
        ["19155826", web("huge").externalId].sort()
      )
      const reasons = new Map(report.failures.map((f) => [f.item.externalId, f.reason]))
      assert.match(reasons.get("19155826")!, /^failed: item\.json: HN item: invalid JSON/)
      assert.match(reasons.get(web("huge").externalId)!, /104857600 bytes, over the transform's limit/)
      const notAFeed = yield* detail({ sourceType: "feed", externalId: "_feed:http://fishhawk2.marketwatch.com/rss" })
      assert.deepStrictEqual([notAFeed.item.fetchStatus, notAFeed.item.transformStatus], ["failed", "transformed"])
      assert.match(notAFeed.item.fetchError!, /feed@2026-11-27T05-00-00Z\.rss: .*not a recognizable/)

      const story = yield* detail(hn("47336100"))
      assert.strictEqual(story.item.title, "Show HN: Channel Surfer – Watch YouTube like it’s cable TV")
      assert.strictEqual(story.item.transformStatus, "transformed")
      assert.strictEqual(story.comments.length, 26)
      assert.deepStrictEqual(
        story.comments
          .filter((c) => c.deleted)
          .map((c) => c.externalId)
          .sort(),
        ["47367444", "47367592"]
      )
      assert.deepStrictEqual(
        story.artifacts.map((a) => [a.artifactType, a.location]),
        [
          ["comments", "hn/47336100/comments.json"],
          ["item", "hn/47336100/item.json"]
        ]
      )

      const gone = yield* detail(hn("40475078"))
      assert.deepStrictEqual([gone.item.fetchStatus, gone.item.transformStatus], ["gone", "transformed"])
      const invalid = yield* detail(hn("19155826"))
      assert.deepStrictEqual([invalid.item.fetchStatus, invalid.item.transformStatus], ["fetched", "failed"])
      assert.match(invalid.item.transformError!, /invalid JSON/)

      for (const page of F.HTML_PAGES) {
        const row = (yield* detail(web(page))).item
        const expected = F.expectedMetadata(page)
        assert.strictEqual(row.title, F.squash(expected.title), page)
        assert.strictEqual(row.author, F.squash(expected.byline) ?? null, page)
        if (expected.lang) assert.strictEqual(row.language, expected.lang, page)
        assert.isAbove(row.bodyText!.length, 300, page)
      }
      const huge100 = (yield* detail(web("huge"))).item
      assert.deepStrictEqual([huge100.fetchStatus, huge100.transformStatus], ["fetched", "failed"])

      const entry = yield* detail({ sourceType: "feed", externalId: ENTRY })
      assert.strictEqual(entry.item.title, "FAQ for Narro")
      assert.strictEqual(entry.item.transcriptionStatus, "transcribed")
      assert.match(entry.item.bodyText!, /ask not what your country can do for you/)
      assert.strictEqual(entry.segments.length, 1)
      assert.deepStrictEqual([entry.segments[0]!.startSeconds, entry.segments[0]!.endSeconds], [0, 11])
      assert.deepStrictEqual(
        entry.media.map((m) => [m.kind, m.artifactType, m.bytes]),
        [["audio", "audio", 76447]]
      )
      assert.deepStrictEqual(
        entry.enrichments.map((e) => [e.model, e.summaryText]),
        [["gpt-4o-mini-2024-07-18", "The capital of India is New Delhi."]]
      )

      // Listed items are known as pending; a listed item that is also fetched keeps its own state.
      const repo = yield* ItemRepo
      const counts = yield* repo.countByStatus({ sourceType: "hn" })
      const pending = counts.filter((c) => c.fetchStatus === "pending").reduce((n, c) => n + c.count, 0)
      assert.isAbove(pending, 400)
      assert.strictEqual((yield* detail(hn("8863"))).item.fetchStatus, "fetched")
      assert.isTrue(Option.isSome(yield* repo.get({ sourceType: "feed", externalId: ENTRY })))
    })
  )

  it.effect("is idempotent: the same bronze again writes nothing", () =>
    Effect.gen(function* () {
      const again = yield* TransformJob.runBatch(batch)
      assert.deepStrictEqual(again.upserted, { inserted: 0, updated: 0, unchanged: 12 })
      // The two failed items silver already holds only get their statuses again.
      assert.strictEqual(again.statusOnly, 2)
      assert.strictEqual(again.discovered, 0)
    })
  )

  it.effect("a bad newer refetch keeps silver's rows and shows the reason", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "comments@2026-11-28T05-00-00Z", "json", F.threadComments().slice(0, 500))
      const report = yield* TransformJob.runBatch([hn("47336100")])
      assert.match(report.failures[0]!.reason, /^partial: comments@2026-11-28T05-00-00Z\.json: .*truncated/)
      const story = yield* detail(hn("47336100"))
      assert.strictEqual(story.comments.length, 26)
      assert.strictEqual(story.item.transformStatus, "failed")
      assert.match(story.item.transformError!, /kept comments\.json/)
      assert.strictEqual(story.item.title, "Show HN: Channel Surfer – Watch YouTube like it’s cable TV")
    })
  )

  it.effect("when a transform can derive nothing, silver keeps the item's fields and rows and records why", () =>
    Effect.gen(function* () {
      // A later transform that fails on everything (as a new transform version with a bug would).
      const failing: SourceTransform = {
        sourceType: "web",
        version: hnTransform.version,
        transform: (artifacts, options) =>
          ItemDraft.run(artifacts, options, (draft) =>
            Effect.gen(function* () {
              yield* draft.deriveFetchStatus(["page"])
              draft.mainFailure = "page.html: the extractor refused it"
              return draft.finish()
            })
          )
      }
      // And one that derives the item but none of its comment trees.
      const noComments: SourceTransform = {
        sourceType: "hn",
        version: hnTransform.version,
        transform: (artifacts, options) =>
          Effect.map(hnTransform.transform(artifacts, options), (rows) => {
            const { comments: _dropped, ...item } = rows.item!
            return {
              ...rows,
              outcome: "partial" as const,
              reason: "comments: unreadable",
              item: { ...item, transformStatus: "failed" as const, transformError: "comments: unreadable" }
            }
          })
      }
      const transforms = SourceTransforms.extend(SourceTransforms.builtIn, [failing, noComments])
      const report = yield* TransformJob.runBatch([web("aclu"), hn("47336100")], { transforms })
      assert.strictEqual(report.statusOnly, 1)
      const page = (yield* detail(web("aclu"))).item
      assert.strictEqual(page.title, F.squash(F.expectedMetadata("aclu").title))
      assert.isAbove(page.bodyText!.length, 300)
      assert.deepStrictEqual(
        [page.transformStatus, page.transformError],
        ["failed", "page.html: the extractor refused it"]
      )
      const story = yield* detail(hn("47336100"))
      assert.strictEqual(story.comments.length, 26)
      assert.strictEqual(story.item.transformError, "comments: unreadable")
    })
  )

  it.effect(
    "a feed of 5,000 entries lists them all as pending; a feed in an undeclared legacy charset still parses",
    () =>
      Effect.gen(function* () {
        yield* F.put("feed", "_feed:https://big.example/feed", "feed@2026-11-27T05-00-00Z", "xml", bigFeed(5000))
        yield* F.put(
          "feed",
          "_feed:https://noticias.uol.com.br/",
          "feed@2026-11-27T05-00-00Z",
          "rss",
          F.bytes("feeds/uolNoticias.rss")
        )
        const report = yield* TransformJob.runBatch([
          { sourceType: "feed", externalId: "_feed:https://big.example/feed" },
          { sourceType: "feed", externalId: "_feed:https://noticias.uol.com.br/" }
        ])
        assert.deepStrictEqual(report.failures, [])
        const big = report.rows.find((r) => r.key.externalId === "_feed:https://big.example/feed")!
        assert.strictEqual(big.discovered.length, 5000)
        assert.isAtLeast(report.discovered, 5000)
        // Entries are keyed by their feed and their guid.
        const entry = yield* detail({ sourceType: "feed", externalId: "https://big.example/feed entry-4999" })
        assert.deepStrictEqual([entry.item.fetchStatus, entry.item.title], ["pending", "FAQ for Narro"])
        const uol = report.rows.find((r) => r.key.externalId === "_feed:https://noticias.uol.com.br/")!
        assert.isAbove(uol.discovered.length, 0)
        assert.isTrue(uol.discovered.some((d) => (d.title ?? "").includes("simulações")))
      })
  )
})

layer(Layer.provideMerge(Layer.mergeAll(RobotsTxt.layer(), Silver), fetchStack()), { timeout: 120_000 })(
  "fetch side -> bronze -> TransformJob -> PostgreSQL",
  (it) => {
    it.effect(
      "pages crawled from a sitemap land in silver with the title, byline and language their metadata expects",
      () =>
        Effect.gen(function* () {
          const server = yield* FixtureServer
          const sitemap = `${server.url}/sitemap.xml`
          const report = yield* FetchWorker.runOnce(WebSource.make({ sitemaps: [sitemap] }))
          assert.isAbove(report.fetched, 0)
          const keys = [
            { sourceType: "web", externalId: WebSource.sitemapId(sitemap) },
            ...report.results.map((r) => ({ sourceType: "web", externalId: r.externalId }))
          ]
          const batch = yield* TransformJob.runBatch(keys)
          // robots.txt of the fixture server disallows one listed page: skipped, with the reason.
          assert.deepStrictEqual(
            batch.failures.map((f) => f.item.externalId),
            []
          )
          const repo = yield* ItemRepo
          let checked = 0
          for (const name of articleNames) {
            const url = `${server.url}/articles/${name}.html`
            const found = yield* repo.get({ sourceType: "web", externalId: url })
            if (Option.isNone(found)) continue
            const expected = F.expectedMetadata(name)
            const row = found.value.item
            if (!expected.misses?.includes("title")) assert.strictEqual(row.title, F.squash(expected.title), name)
            assert.strictEqual(row.author, F.squash(expected.byline) ?? null, name)
            if (expected.lang) assert.strictEqual(row.language, expected.lang, name)
            assert.isAbove(row.bodyText!.length, 100, name)
            assert.deepStrictEqual([row.fetchStatus, row.transformStatus], ["fetched", "transformed"], name)
            checked++
          }
          assert.isAbove(checked, 2)
          // robots.txt of the fixture server disallows one listed page: skipped, with the reason.
          const secret = yield* repo.get({ sourceType: "web", externalId: `${server.url}/private/secret.html` })
          assert.deepStrictEqual(
            Option.map(secret, (d) => [
              d.item.fetchStatus,
              d.item.fetchError?.startsWith("page: robots-disallowed") === true
            ]),
            Option.some(["skipped", true])
          )
        })
    )
  }
)

// The job needs BronzeReader and ItemRepo, never BronzeWriter: checked by the compiler (`pnpm check`).
type JobRequirements = Effect.Services<ReturnType<ReturnType<typeof TransformJob.make>["run"]>>
const writerIsNotRequired: [BronzeWriter] extends [JobRequirements] ? false : true = true
void writerIsNotRequired
