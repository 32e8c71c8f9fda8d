import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { BronzeIoError, BronzeReader, MemoryBronze } from "@medallion/bronze"
import { ItemDraft } from "../../src/transform/ItemDraft.ts"
import type { ItemRows } from "../../src/transform/ItemRows.ts"
import type { SourceTransform } from "../../src/transform/SourceTransform.ts"
import * as SourceTransforms from "../../src/transform/SourceTransforms.ts"
import { transformItem, transformItemWith } from "../../src/transform/Transform.ts"
import { defaultOptions } from "../../src/transform/TransformOptions.ts"
import { TRANSFORM_VERSION } from "../../src/transform/TransformVersion.ts"
import * as F from "./Fixtures.ts"

const hn = (id: string) => ({ sourceType: "hn", externalId: id })
const web = (url: string) => ({ sourceType: "web", externalId: url })

const itemOf = (rows: ItemRows) => {
  assert.isDefined(rows.item, `${rows.key.externalId}: no item row (${rows.outcome}: ${rows.reason})`)
  return rows.item!
}

describe("Transform: Hacker News", () => {
  it.effect("a story with its comment tree: fields, decoded text, deleted and dead comments kept as rows", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", F.threadComments())
      const rows = yield* transformItem(hn("47336100"))
      assert.strictEqual(rows.outcome, "transformed", rows.reason)
      const item = itemOf(rows)
      assert.strictEqual(item.title, "Show HN: Channel Surfer – Watch YouTube like it’s cable TV")
      assert.strictEqual(item.url, "https://channelsurfer.tv")
      assert.strictEqual(item.author, "kilroy123")
      assert.strictEqual(DateTime.toEpochMillis(item.publishedAt!), 1773239697 * 1000)
      assert.strictEqual(item.fetchStatus, "fetched")
      assert.strictEqual(item.transformStatus, "transformed")
      assert.strictEqual(item.transcriptionStatus, "not_applicable")
      assert.strictEqual(item.transformVersion, TRANSFORM_VERSION)
      // HTML entities and <p> of the API's text become plain text and paragraphs.
      assert.isTrue(item.bodyText!.startsWith("I know, it's a very first-world problem."), item.bodyText!)
      assert.include(item.bodyText!, "\n\nSo I made this to recreate Cable TV for YouTube.")
      assert.notInclude(item.bodyText!, "<p>")

      const comments = item.comments!
      assert.strictEqual(comments.length, 26)
      assert.isTrue(comments.every((c) => c.parentExternalId === null && c.artifact.artifactType === "comments"))
      const deleted = comments.find((c) => c.externalId === "47367592")!
      assert.deepStrictEqual([deleted.deleted, deleted.author, deleted.bodyText], [true, null, null])
      const dead = comments.find((c) => c.externalId === "47367444")!
      assert.strictEqual(dead.deleted, true)
      assert.strictEqual(dead.bodyText, null, "the [dead] placeholder is not content")
      const live = comments.filter((c) => !c.deleted)
      assert.strictEqual(live.length, 24)
      assert.isTrue(
        live.every(
          (c) => typeof c.author === "string" && typeof c.bodyText === "string" && !c.bodyText.includes("&#x27;")
        )
      )
      assert.deepStrictEqual(
        item.artifacts.map((a) => a.artifactType),
        ["comments", "item"]
      )
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a link story takes its body and language from the linked article", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      yield* F.put("hn", "8863", "article", "html", F.bytes("html/aclu.html"))
      const item = itemOf(yield* transformItem(hn("8863")))
      assert.strictEqual(item.title, "My YC app: Dropbox - Throw away your USB drive")
      assert.strictEqual(item.author, "dhouston")
      assert.strictEqual(item.language, "en")
      assert.include(item.bodyText!, "Facebook")
      assert.isAbove(item.bodyText!.length, 2000)
      assert.notMatch(item.bodyText!, /<\/?(div|p|script)\b/)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("deleted and dead items are gone with the reason; a dead story keeps its title", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "40475078", "item", "json", F.bytes("hn/40475078_comment_deleted.json"))
      yield* F.put("hn", "8104927", "item", "json", F.bytes("hn/8104927_story_dead.json"))
      yield* F.put("hn", "49280269", "item", "json", F.bytes("hn/49280269_story_dead.json"))
      const deleted = itemOf(yield* transformItem(hn("40475078")))
      assert.strictEqual(deleted.fetchStatus, "gone")
      assert.match(deleted.fetchError!, /deleted on Hacker News/)
      assert.strictEqual(deleted.transformStatus, "transformed")

      const dead = itemOf(yield* transformItem(hn("8104927")))
      assert.strictEqual(dead.fetchStatus, "gone")
      assert.match(dead.fetchError!, /dead on Hacker News/)
      assert.strictEqual(dead.title, "Israil's ‘Iron Dome’ Missile Defense System Compromised by Chinese Hackers")
      assert.strictEqual(dead.bodyText, null, 'an empty "text" is no body')

      const killed = itemOf(yield* transformItem(hn("49280269")))
      assert.strictEqual(killed.fetchStatus, "gone")
      assert.strictEqual(killed.title, null)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("invalid, empty and truncated item JSON: a failed item with the reason, the fetch still counted", () =>
    Effect.gen(function* () {
      const story = F.bytes("hn/8863_story_apidocs.json")
      yield* F.put("hn", "19155826", "item", "json", F.bytes("hn/19155826_story_handedited_invalid.json"))
      yield* F.put("hn", "1", "item", "json", new Uint8Array(0))
      yield* F.put("hn", "2", "item", "json", story.slice(0, Math.floor(story.length / 2)))
      const cases = [
        ["19155826", /invalid JSON/],
        ["1", /empty/],
        ["2", /truncated/]
      ] as const
      for (const [id, reason] of cases) {
        const rows = yield* transformItem(hn(id))
        assert.strictEqual(rows.outcome, "failed")
        const item = itemOf(rows)
        assert.strictEqual(item.transformStatus, "failed")
        assert.match(item.transformError!, reason)
        assert.match(item.transformError!, /item\.json/)
        assert.strictEqual(item.fetchStatus, "fetched")
        assert.strictEqual(item.title, null)
      }
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect(
    "the list folder is no item: its ids become pending items; a bad or failed list makes it a failed row",
    () =>
      Effect.gen(function* () {
        yield* F.put(
          "hn",
          "_lists",
          "topstories@2026-11-27T05-00-00Z",
          "json",
          F.bytes("hn/topstories_ids_2023-08.json")
        )
        const rows = yield* transformItem(hn("_lists"))
        assert.strictEqual(rows.outcome, "transformed")
        assert.isUndefined(rows.item)
        const ids = F.json<Array<number>>("hn/topstories_ids_2023-08.json")
        assert.strictEqual(rows.discovered.length, new Set(ids).size)
        assert.deepStrictEqual(rows.discovered[0], { sourceType: "hn", externalId: String(ids[0]) })

        // A list that does not parse: the folder becomes a row saying so, the good list still counts, and
        // the run succeeds (a discovery failure is the source's state, not a transform to retry).
        yield* F.put(
          "hn",
          "_lists",
          "newstories@2026-11-27T05-00-00Z",
          "json",
          F.bytes("hn/19155826_story_handedited_invalid.json")
        )
        const bad = yield* transformItem(hn("_lists"))
        assert.strictEqual(bad.outcome, "transformed", bad.reason)
        assert.strictEqual(bad.discovered.length, rows.discovered.length, "the good list still counts")
        assert.deepStrictEqual([bad.item?.fetchStatus, bad.item?.transformStatus], ["failed", "transformed"])
        assert.match(bad.item!.fetchError!, /newstories@2026-11-27T05-00-00Z\.json/)

        // The fetch side's failure record of a list (here a 503 of topstories) names the list; it is a record,
        // never read as a list.
        yield* F.put(
          "hn",
          "_lists",
          "fetch-error@2026-11-27T06-00-00Z",
          "json",
          JSON.stringify({
            artifact: "topstories",
            url: "https://hacker-news.firebaseio.com/v0/topstories.json",
            reason: "http-status",
            status: 503,
            message: "HTTP 503: Service Unavailable"
          })
        )
        yield* F.put(
          "hn",
          "_lists",
          "newstories@2026-11-27T06-00-00Z",
          "json",
          F.bytes("hn/topstories_ids_2023-08.json")
        )
        const failed = yield* transformItem(hn("_lists"))
        assert.strictEqual(failed.outcome, "transformed", failed.reason)
        assert.strictEqual(failed.item?.fetchStatus, "failed")
        assert.strictEqual(
          failed.item?.fetchError,
          "topstories: http-status: HTTP 503: Service Unavailable (https://hacker-news.firebaseio.com/v0/topstories.json) [fetch-error@2026-11-27T06-00-00Z.json]"
        )
        assert.strictEqual(failed.item?.url, "https://hacker-news.firebaseio.com/v0/topstories.json")

        // The next poll answers the same list: the fetch side's `-unchanged` record supersedes the failure,
        // and silver's row (if it has one) becomes fetched; no new row is made.
        yield* F.put(
          "hn",
          "_lists",
          "topstories-unchanged@2026-11-27T07-00-00Z",
          "json",
          JSON.stringify({ artifact: "topstories", at: "2026-11-27T07:00:00.000Z" })
        )
        const recovered = yield* transformItem(hn("_lists"))
        assert.strictEqual(recovered.outcome, "transformed", recovered.reason)
        assert.isUndefined(recovered.item)
        assert.deepStrictEqual(
          [recovered.ifKnown?.fetchStatus, recovered.ifKnown?.fetchError, recovered.ifKnown?.transformStatus],
          ["fetched", null, "transformed"]
        )
        assert.strictEqual(recovered.discovered.length, rows.discovered.length)
      }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("the newest comment tree wins; a bad newer one keeps the older one's rows and says so", () =>
    Effect.gen(function* () {
      const all = F.threadComments()
      const few = F.encode("[" + F.text("hn/thread_47336100/47366582_comment.json").trim() + "]")
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", few)
      yield* F.put("hn", "47336100", "comments@2026-11-27T05-00-00Z", "json", all)
      const newest = itemOf(yield* transformItem(hn("47336100")))
      assert.strictEqual(newest.comments!.length, 26)
      assert.strictEqual(newest.comments![0]!.artifact.artifactType, "comments@2026-11-27T05-00-00Z")

      yield* F.put("hn", "47336100", "comments@2026-11-28T05-00-00Z", "json", all.slice(0, 1000))
      const rows = yield* transformItem(hn("47336100"))
      assert.strictEqual(rows.outcome, "partial")
      const item = itemOf(rows)
      assert.strictEqual(item.comments!.length, 26)
      assert.strictEqual(item.comments![0]!.artifact.artifactType, "comments@2026-11-27T05-00-00Z")
      assert.strictEqual(item.transformStatus, "failed")
      assert.match(
        item.transformError!,
        /comments@2026-11-28T05-00-00Z\.json: .*truncated.*kept comments@2026-11-27T05-00-00Z\.json/
      )
      assert.strictEqual(item.title, newest.title, "the item's own fields stay")
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("when every comment tree is bad the comments are left out, so silver keeps what it has", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      yield* F.put("hn", "8863", "comments", "json", "{not json")
      const rows = yield* transformItem(hn("8863"))
      assert.strictEqual(rows.outcome, "partial")
      assert.isFalse("comments" in itemOf(rows))
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("fetch status follows the newest of content and fetch-error records", () =>
    Effect.gen(function* () {
      const failure = (status: number) =>
        JSON.stringify({
          artifact: "item",
          url: "https://hacker-news.firebaseio.com/v0/item/8863.json",
          reason: "http-status",
          message: `HTTP ${status}`,
          status
        })
      yield* F.put("hn", "9", "fetch-error@2026-11-27T05-00-00Z", "json", failure(503))
      const failed = itemOf(yield* transformItem(hn("9")))
      assert.strictEqual(failed.fetchStatus, "failed")
      assert.match(
        failed.fetchError!,
        /^item: http-status: HTTP 503 \(https:\/\/hacker-news\.firebaseio\.com\/v0\/item\/8863\.json\) \[/
      )
      assert.match(failed.fetchError!, /fetch-error@2026-11-27T05-00-00Z\.json/)
      assert.strictEqual(failed.transformStatus, "pending", "nothing to transform yet")

      yield* F.put("hn", "9", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      const fetched = itemOf(yield* transformItem(hn("9")))
      assert.deepStrictEqual([fetched.fetchStatus, fetched.fetchError], ["fetched", null])

      yield* F.put("hn", "10", "fetch-error@2026-11-27T05-00-00Z", "json", failure(404))
      assert.strictEqual(itemOf(yield* transformItem(hn("10"))).fetchStatus, "gone")

      yield* F.put(
        "web",
        "https://example.org/private",
        "fetch-error@2026-11-27T05-00-00Z",
        "json",
        JSON.stringify({
          artifact: "page",
          url: "https://example.org/private",
          reason: "robots-disallowed",
          message: "robots.txt disallows it"
        })
      )
      const skipped = itemOf(yield* transformItem({ sourceType: "web", externalId: "https://example.org/private" }))
      assert.strictEqual(skipped.fetchStatus, "skipped")
      assert.match(skipped.fetchError!, /^page: robots-disallowed: robots.txt disallows it/)

      yield* F.put("hn", "11", "fetch-error@2026-11-27T05-00-00Z", "json", "")
      const unreadableRecord = itemOf(yield* transformItem(hn("11")))
      assert.strictEqual(unreadableRecord.fetchStatus, "failed")
      assert.match(unreadableRecord.fetchError!, /record could not be read/)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})

describe("Transform: web pages", () => {
  for (const page of F.HTML_PAGES) {
    it.effect(`${page}: title, byline, language and text as the page's expected metadata says`, () =>
      Effect.gen(function* () {
        const url = `https://example.org/${page}`
        yield* F.put("web", url, "page", "html", F.bytes(`html/${page}.html`))
        const rows = yield* transformItem(web(url))
        assert.strictEqual(rows.outcome, "transformed", rows.reason)
        const item = itemOf(rows)
        const expected = F.expectedMetadata(page)
        assert.strictEqual(item.title, F.squash(expected.title))
        assert.strictEqual(item.author, F.squash(expected.byline) ?? null)
        if (expected.lang) assert.strictEqual(item.language, expected.lang)
        assert.strictEqual(item.url, url)
        assert.strictEqual(item.fetchStatus, "fetched")
        assert.isAbove(item.bodyText!.length, 300)
        // (ietf-1 quotes an HTML response in its text: markup in prose is content)
        assert.notMatch(item.bodyText!, /<(div|script|style)\b/i)
        if (expected.publishedTime) assert.isNotNull(item.publishedAt)
      }).pipe(Effect.provide(MemoryBronze.layer))
    )
  }

  it.effect("the response record's Content-Type gives the charset of a page stored in a legacy encoding", () =>
    Effect.gen(function* () {
      // The real page, re-encoded to ISO-8859-1 as a server might send it (its <meta> still says utf-8).
      const latin1 = new Uint8Array(Buffer.from(F.text("html/liberation-1.html"), "latin1"))
      const expected = F.expectedMetadata("liberation-1").title
      yield* F.put("web", "https://example.org/with-header", "page", "html", latin1)
      yield* F.put(
        "web",
        "https://example.org/with-header",
        "page-response",
        "json",
        JSON.stringify({
          url: "https://example.org/with-header",
          status: 200,
          headers: { "content-type": "text/html; charset=ISO-8859-1" },
          redirects: []
        })
      )
      yield* F.put("web", "https://example.org/without", "page", "html", latin1)
      const withHeader = itemOf(yield* transformItem(web("https://example.org/with-header")))
      assert.strictEqual(withHeader.title, expected)
      assert.includeMembers(
        withHeader.artifacts.map((a) => a.artifactType),
        ["page", "page-response"]
      )
      const without = itemOf(yield* transformItem(web("https://example.org/without")))
      assert.notStrictEqual(without.title, expected)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a page over the size limit fails from its catalog size, without being read", () =>
    Effect.gen(function* () {
      const url = "https://example.org/big"
      yield* F.put("web", url, "page", "html", F.bytes("html/aclu.html"))
      const reader = yield* BronzeReader
      let reads = 0
      const counting = Layer.succeed(BronzeReader, {
        ...reader,
        get: (key) =>
          Effect.suspend(() => {
            reads++
            return reader.get(key)
          })
      })
      const rows = yield* transformItemWith(SourceTransforms.builtIn, { ...defaultOptions, maxHtmlBytes: 100_000 })(
        web(url)
      ).pipe(Effect.provide(counting))
      assert.strictEqual(rows.outcome, "failed")
      assert.match(rows.reason!, /page\.html has 205242 bytes, over the transform's limit of 100000/)
      assert.strictEqual(reads, 0)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("an empty page and a page of binary noise fail with their reason", () =>
    Effect.gen(function* () {
      yield* F.put("web", "https://example.org/empty", "page", "html", new Uint8Array(0))
      yield* F.put(
        "web",
        "https://example.org/noise",
        "page",
        "html",
        F.bytes("whisper/SeanTCoder_jfk.json").map((b) => (b * 7) & 0x1f)
      )
      const empty = yield* transformItem(web("https://example.org/empty"))
      assert.strictEqual(empty.outcome, "failed")
      assert.match(empty.reason!, /page\.html: the document is empty/)
      const noise = yield* transformItem(web("https://example.org/noise"))
      assert.strictEqual(noise.outcome, "failed")
      assert.match(noise.reason!, /^page\.html: /)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("an LLM response gives the summary; a response of another API is a partial item", () =>
    Effect.gen(function* () {
      const url = "https://example.org/ietf"
      yield* F.put("web", url, "page", "html", F.bytes("html/ietf-1.html"))
      yield* F.put("web", url, "enrichment-prompt", "json", JSON.stringify({ model: "gpt-4o-mini", messages: [] }))
      yield* F.put(
        "web",
        url,
        "enrichment-response",
        "json",
        F.bytes("openai/drac1661_chat_completion_gpt-4o-mini.json")
      )
      const item = itemOf(yield* transformItem(web(url)))
      assert.deepStrictEqual(
        item.enrichments!.map((e) => [e.kind, e.model, e.summaryText, e.artifact.artifactType]),
        [["summary", "gpt-4o-mini-2024-07-18", "The capital of India is New Delhi.", "enrichment-response"]]
      )
      assert.includeMembers(
        item.artifacts.map((a) => a.artifactType),
        ["enrichment-prompt", "enrichment-response", "page"]
      )

      const other = "https://example.org/other"
      yield* F.put("web", other, "page", "html", F.bytes("html/ietf-1.html"))
      yield* F.put("web", other, "enrichment-response", "json", F.bytes("openai/drac1661_responses_api.json"))
      const rows = yield* transformItem(web(other))
      assert.strictEqual(rows.outcome, "partial")
      assert.match(rows.reason!, /enrichment-response\.json: chat completion/)
      assert.isFalse("enrichments" in itemOf(rows))
      assert.strictEqual(itemOf(rows).title, item.title)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})

describe("Transform: feed entries", () => {
  it.effect(
    "transcription tells the truth: images are nothing to transcribe, declined media and transcription are skipped",
    () =>
      Effect.gen(function* () {
        const entry = (guid: string, enclosures: ReadonlyArray<{ url: string; type: string }>) =>
          JSON.stringify({
            feedUrl: "https://example.org/feed",
            feedArtifact: "feed",
            guid,
            guidSource: "guid",
            title: guid,
            enclosures
          })
        const transcription = (guid: string) =>
          Effect.map(transformItem({ sourceType: "feed", externalId: guid }), (rows) => {
            const item = itemOf(rows)
            return [item.transcriptionStatus, item.transcriptionError ?? null] as const
          })

        // Only an image: nothing to transcribe, ever.
        yield* F.put(
          "feed",
          "photo",
          "entry",
          "json",
          entry("photo", [{ url: "https://example.org/a.jpg", type: "image/jpeg" }])
        )
        assert.deepStrictEqual(yield* transcription("photo"), ["not_applicable", null])

        // Audio the source does not download (fetchEnclosures off): skipped with the reason, not pending.
        yield* F.put(
          "feed",
          "episode",
          "entry",
          "json",
          entry("episode", [{ url: "https://example.org/e.mp3", type: "audio/mpeg" }])
        )
        assert.deepStrictEqual(yield* transcription("episode"), ["pending", null])
        yield* F.put(
          "feed",
          "episode",
          "audio-declined",
          "json",
          JSON.stringify({
            artifact: "audio",
            url: "https://example.org/e.mp3",
            reason: "disabled",
            message: "the source does not fetch enclosures (fetchEnclosures: false)"
          })
        )
        assert.deepStrictEqual(yield* transcription("episode"), [
          "skipped",
          "audio: disabled: the source does not fetch enclosures (fetchEnclosures: false) (https://example.org/e.mp3) [audio-declined.json]"
        ])

        // The configuration changes: the audio is downloaded, then no transcriber is configured.
        yield* F.put("feed", "episode", "audio", "mp3", F.bytes("whisper/jfk.mp3"))
        assert.deepStrictEqual(yield* transcription("episode"), ["pending", null])
        yield* F.put(
          "feed",
          "episode",
          "transcript-declined",
          "json",
          JSON.stringify({
            artifact: "transcript",
            reason: "disabled",
            message: "transcription is not enabled on the fetch daemon (transcription.enabled)"
          })
        )
        assert.deepStrictEqual(yield* transcription("episode"), [
          "skipped",
          "transcript: disabled: transcription is not enabled on the fetch daemon (transcription.enabled) [transcript-declined.json]"
        ])
        // Transcription is enabled: the transcript supersedes the record.
        yield* F.put("feed", "episode", "transcript", "json", F.bytes("whisper/SeanTCoder_jfk.json"))
        assert.deepStrictEqual(yield* transcription("episode"), ["transcribed", null])
      }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a failed transcription or enrichment is no failed fetch; the transcription says why", () =>
    Effect.gen(function* () {
      const guid = "https://www.narro.co/article/54e703933058540300000069"
      const entry = {
        feedUrl: "https://on.narro.co/f",
        feedArtifact: "feed",
        guid,
        guidSource: "guid",
        title: "FAQ for Narro",
        link: guid,
        published: "Fri, 20 Feb 2015 09:51:15 UTC",
        enclosures: [{ url: "https://example.org/a.mp3", type: "audio/mpeg", length: 74 }]
      }
      yield* F.put("feed", guid, "entry", "json", JSON.stringify(entry))
      const pending = itemOf(yield* transformItem({ sourceType: "feed", externalId: guid }))
      assert.deepStrictEqual([pending.fetchStatus, pending.transcriptionStatus], ["fetched", "pending"])
      assert.deepStrictEqual(
        pending.media!.map((m) => [m.kind, m.url, m.artifact]),
        [["audio", "https://example.org/a.mp3", null]]
      )
      assert.strictEqual(DateTime.formatIso(pending.publishedAt!), "2015-02-20T09:51:15.000Z")

      yield* F.put("feed", guid, "audio", "mp3", F.bytes("whisper/jfk.mp3"))
      yield* F.put(
        "feed",
        guid,
        "fetch-error@2026-11-27T05-00-00Z",
        "json",
        JSON.stringify({
          artifact: "transcript",
          reason: "too-large",
          message: "the media has 76447 bytes, over the API's limit of 1000"
        })
      )
      yield* F.put(
        "feed",
        guid,
        "fetch-error@2026-11-27T06-00-00Z",
        "json",
        JSON.stringify({ artifact: "enrichment", reason: "timeout", message: "no response within 1 minute" })
      )
      const item = itemOf(yield* transformItem({ sourceType: "feed", externalId: guid }))
      assert.deepStrictEqual([item.fetchStatus, item.fetchError], ["fetched", null])
      // Over the API's size limit: not transcribed on purpose.
      assert.strictEqual(item.transcriptionStatus, "skipped")
      assert.match(item.transcriptionError!, /^transcript: too-large: the media has 76447 bytes/)

      yield* F.put(
        "feed",
        guid,
        "fetch-error@2026-11-27T07-00-00Z",
        "json",
        JSON.stringify({
          artifact: "transcript",
          reason: "http-status",
          status: 500,
          message: "HTTP 500: model overloaded"
        })
      )
      const failed = itemOf(yield* transformItem({ sourceType: "feed", externalId: guid }))
      assert.deepStrictEqual([failed.transcriptionStatus, failed.fetchStatus], ["failed", "fetched"])
      // The server's message once, after its status (`HTTP 500: model overloaded`, not `HTTP 500: HTTP 500: ...`).
      assert.match(failed.transcriptionError!, /^transcript: http-status: HTTP 500: model overloaded \[fetch-error@/)
      assert.deepStrictEqual(
        item.media!.map((m) => [m.kind, m.url, m.artifact?.artifactType, m.bytes]),
        [["audio", "https://example.org/a.mp3", "audio", 76447]]
      )
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})

describe("Transform: any source", () => {
  it.effect("is deterministic: the same bronze gives the same rows", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", F.threadComments())
      const first = yield* transformItem(hn("47336100"))
      const second = yield* transformItem(hn("47336100"))
      assert.deepStrictEqual(second, first)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("an unknown source type is a failed item with the reason", () =>
    Effect.gen(function* () {
      yield* F.put("podcasts", "ep-1", "episode", "json", "{}")
      const rows = yield* transformItem({ sourceType: "podcasts", externalId: "ep-1" })
      assert.strictEqual(rows.outcome, "failed")
      assert.strictEqual(itemOf(rows).fetchStatus, "fetched")
      assert.match(itemOf(rows).transformError!, /no transform is registered for source type "podcasts"/)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a user's own source transform extends the registry; a crash in it is a failed item", () =>
    Effect.gen(function* () {
      const podcasts: SourceTransform = {
        sourceType: "podcasts",
        version: 7,
        transform: (artifacts, options) =>
          ItemDraft.run(artifacts, options, (draft) =>
            Effect.gen(function* () {
              yield* draft.deriveFetchStatus(["episode"])
              draft.fields.title = `episode ${artifacts.item.externalId}`
              draft.fields.bodyText = yield* draft.deriveTranscript()
              return draft.finish()
            })
          )
      }
      const crashing: SourceTransform = {
        sourceType: "broken",
        version: 1,
        transform: () => Effect.die(new Error("boom"))
      }
      const transform = transformItemWith(SourceTransforms.extend(SourceTransforms.builtIn, [podcasts, crashing]))
      yield* F.put("podcasts", "ep-1", "audio", "mp3", new Uint8Array([1, 2, 3]))
      const pending = itemOf(yield* transform({ sourceType: "podcasts", externalId: "ep-1" }))
      assert.strictEqual(pending.transcriptionStatus, "pending")
      assert.deepStrictEqual(
        pending.media!.map((m) => [m.kind, m.bytes, m.artifact?.artifactType]),
        [["audio", 3, "audio"]]
      )

      yield* F.put("podcasts", "ep-1", "transcript", "json", F.bytes("whisper/openai-whisper_commit1caba7d_jfk.json"))
      const item = itemOf(yield* transform({ sourceType: "podcasts", externalId: "ep-1" }))
      assert.strictEqual(item.title, "episode ep-1")
      // The rows carry the source's own transform version, not the built-ins'.
      assert.strictEqual(item.transformVersion, 7)
      assert.strictEqual(item.transcriptionStatus, "transcribed")
      assert.match(item.bodyText!, /ask not what your country can do for you/)
      assert.isAbove(item.segments!.length, 0)
      assert.isTrue(item.segments!.every((s) => s.endSeconds >= s.startSeconds && s.text.length > 0))
      assert.isAbove(item.media![0]!.durationSeconds!, 10)

      yield* F.put("broken", "x", "page", "html", "<p>hi</p>")
      const crashed = yield* transform({ sourceType: "broken", externalId: "x" })
      assert.strictEqual(crashed.outcome, "failed")
      assert.match(crashed.reason!, /the broken transform crashed: .*boom/)
      assert.strictEqual(itemOf(crashed).transformVersion, 1)
    }).pipe(Effect.provide(MemoryBronze.layer))
  )

  it.effect("a store that cannot be read gives no rows: the item is unreadable, to be retried", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      const reader = yield* BronzeReader
      const failing = Layer.succeed(BronzeReader, {
        ...reader,
        get: (key) =>
          Effect.fail(
            new BronzeIoError({
              operation: "get",
              location: `${key.sourceType}/${key.externalId}`,
              cause: new Error("EIO")
            })
          )
      })
      const rows = yield* transformItem(hn("8863")).pipe(Effect.provide(failing))
      assert.strictEqual(rows.outcome, "unreadable")
      assert.isUndefined(rows.item)
      assert.match(rows.reason!, /bronze could not read item\.json: .*EIO/)

      const listing = Layer.succeed(BronzeReader, {
        ...reader,
        listItem: () =>
          Effect.fail(new BronzeIoError({ operation: "list", location: "hn/8863", cause: new Error("EACCES") }))
      })
      const unlisted = yield* transformItem(hn("8863")).pipe(Effect.provide(listing))
      assert.strictEqual(unlisted.outcome, "unreadable")
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
