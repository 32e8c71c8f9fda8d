/**
 * The YouTube plug-in's configuration and fetch side against a loopback server answering with captured
 * YouTube Data API JSON: entries decoded with clear errors, a missing key a start-up error naming its
 * variable, each video and its comment pages stored as received (the key only ever in the header), pages
 * followed by their token within `maxCommentPages`, an answer of the wrong shape (or cut short, or a
 * refusal) a failed item with its reason while the batch goes on, and a quota answer backing the whole
 * source off while its videos stay due: recorded in bronze, so a restarted source (or a second one) keeps
 * the back-off, and the record is no item in silver.
 */
import { BronzeReader, BronzeWriter, type ItemKey } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { ItemRepo } from "@medallion/silver"
import { Duration, Effect, Layer, Logger, Option } from "effect"
import { TestClock } from "effect/testing"
import * as FetchWorker from "../../../src/fetch/FetchWorker.ts"
import type { Source } from "../../../src/fetch/Source.ts"
import * as SourcePlugins from "../../../src/plugins/SourcePlugins.ts"
import * as YoutubeApi from "../../../src/plugins/youtube/YoutubeApi.ts"
import * as YoutubeNames from "../../../src/plugins/youtube/YoutubeNames.ts"
import * as TransformJob from "../../../src/transform/TransformJob.ts"
import { served, testFixture } from "../../support/Fixtures.ts"
import { KEY, PAGE_2_TOKEN, QUOTA, YoutubeServer } from "./YoutubeServer.ts"
import { decode, entryLayer, sourceFor, stack } from "./YoutubeStack.ts"

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const warnings = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel === "Warn") lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  return { lines, layer: Logger.layer([logger]) }
}

describe("the youtube plug-in", () => {
  it.effect("decodes an entry with its defaults, and names each bad field", () =>
    Effect.gen(function* () {
      const [entry] = yield* decode([
        { type: "youtube", name: "talks", videos: ["D-lhorsDlUQ", "https://www.youtube.com/watch?v=F1UP7wRCPH8"] }
      ])
      assert.strictEqual(entry!["baseUrl"], "https://www.googleapis.com/youtube/v3")
      assert.strictEqual(entry!["maxCommentPages"], 5)
      assert.strictEqual(entry!["apiKeyEnv"], "YOUTUBE_API_KEY")
      assert.isTrue(Duration.equals(entry!.every, Duration.hours(1)))
      assert.strictEqual(SourcePlugins.transforms(SourcePlugins.builtIn).get("youtube")?.version, 1)
      assert.deepStrictEqual(
        ["https://youtu.be/D-lhorsDlUQ", "https://www.youtube.com/shorts/D-lhorsDlUQ?x=1", "D-lhorsDlUQ"].map(
          YoutubeNames.videoId
        ),
        ["D-lhorsDlUQ", "D-lhorsDlUQ", "D-lhorsDlUQ"]
      )

      const bad = yield* Effect.flip(
        decode([
          {
            type: "youtube",
            name: "bad",
            baseUrl: "ftp://googleapis.com",
            videos: ["D-lhorsDlUQ", "not a video", "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw"],
            maxCommentPages: 0,
            apiKeyEnv: "1 KEY",
            quotaBackoff: "1 second",
            video: "typo"
          }
        ])
      )
      assert.include(bad.message, 'Expected an http(s) URL\n  at [0]["baseUrl"]')
      assert.include(bad.message, 'Expected a YouTube video id (11 characters, such as "D-lhorsDlUQ") or a watch URL')
      assert.notInclude(bad.message, 'at [0]["videos"][0]')
      assert.include(bad.message, 'at [0]["videos"][1]')
      assert.include(bad.message, 'at [0]["videos"][2]')
      assert.include(bad.message, 'at [0]["maxCommentPages"]')
      assert.include(bad.message, 'Expected the name of an environment variable, such as "YOUTUBE_API_KEY"')
      assert.include(bad.message, 'at [0]["quotaBackoff"]')
      assert.include(bad.message, 'at [0]["video"]')
      const empty = yield* Effect.flip(decode([{ type: "youtube", name: "none", videos: [] }]))
      assert.include(empty.message, 'at [0]["videos"]')
    })
  )

  it.effect("a missing API key stops the start, naming the variable the entry reads", () =>
    Effect.gen(function* () {
      const [entry] = yield* decode([{ type: "youtube", name: "talks", videos: ["D-lhorsDlUQ"] }])
      const missing = yield* Effect.flip(Layer.build(entryLayer(entry, {})))
      assert.include(String((missing as Error).message), "the environment variable YOUTUBE_API_KEY is not set")
      assert.include(String((missing as Error).message), 'the YouTube source "talks"')
      const blank = yield* Effect.flip(Layer.build(entryLayer(entry, { YOUTUBE_API_KEY: " " })))
      assert.include(String((blank as Error).message), "YOUTUBE_API_KEY is not set")
      const [own] = yield* decode([{ type: "youtube", name: "mine", videos: ["D-lhorsDlUQ"], apiKeyEnv: "MY_KEY" }])
      const other = yield* Effect.flip(Layer.build(entryLayer(own, { YOUTUBE_API_KEY: KEY })))
      assert.include(String((other as Error).message), "the environment variable MY_KEY is not set")
      yield* Layer.build(entryLayer(own, { MY_KEY: KEY }))
    }).pipe(Effect.scoped, Effect.provide(stack()))
  )

  it.effect("reads the API's answers, and refuses another resource's", () =>
    Effect.gen(function* () {
      const list = yield* YoutubeApi.decodeVideoList(served("youtube/videos_info_single.json"))
      assert.deepStrictEqual(
        list.items.map((v) => v.id),
        ["D-lhorsDlUQ"]
      )
      const channels = yield* Effect.flip(YoutubeApi.decodeVideoList(testFixture("youtube/info.json")))
      assert.strictEqual(channels.kind, "schema-mismatch")
      assert.include(channels.reason, '["kind"]')
      const page = yield* YoutubeApi.decodeCommentThreads(served("youtube/comment_threads_replies_derived.json"))
      assert.strictEqual(YoutubeApi.comments(page).length, 7)
      assert.deepStrictEqual(YoutubeApi.errorReasons(text(testFixture("youtube/error_quota_derived.json"))), [
        "quotaExceeded"
      ])
      assert.deepStrictEqual(YoutubeApi.errorReasons(text(testFixture("youtube/error_permission_resp.json"))), [
        "SERVICE_UNAVAILABLE"
      ])
      assert.deepStrictEqual(YoutubeApi.errorReasons("<html>"), [])
    })
  )

  it.effect("stores each video and its comment pages as received, a bad answer a failed item with its reason", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const reader = yield* BronzeReader
      const ids = [
        "D-lhorsDlUQ",
        "F1UP7wRCPH8",
        "JE8xdDp5B8Q",
        "wrongShape1",
        "truncated01",
        "goneVideo01",
        "forbidden01"
      ]
      const source = yield* sourceFor({ videos: ids })
      const report = yield* FetchWorker.runOnce(source)
      assert.strictEqual(report.discovered, 7)
      const byId = new Map(report.results.map((r) => [r.externalId, r]))
      for (const id of ["D-lhorsDlUQ", "F1UP7wRCPH8", "JE8xdDp5B8Q"])
        assert.strictEqual(byId.get(id)?.outcome, "fetched")
      assert.strictEqual(byId.get("wrongShape1")?.outcome, "failed")
      assert.include(byId.get("wrongShape1")?.reason ?? "", "YouTube videos.list")
      assert.strictEqual(byId.get("truncated01")?.outcome, "failed")
      assert.include(byId.get("truncated01")?.reason ?? "", "truncated")
      assert.strictEqual(byId.get("goneVideo01")?.outcome, "failed")
      assert.include(byId.get("goneVideo01")?.reason ?? "", "no video with the id goneVideo01")
      assert.strictEqual(byId.get("forbidden01")?.outcome, "failed")
      assert.include(byId.get("forbidden01")?.reason ?? "", "403")

      const names = (id: string) =>
        Effect.map(reader.listItem({ sourceType: "youtube", externalId: id }), (files) =>
          files.map((i) => i.key.artifactType.split("@")[0]).sort()
        )
      assert.deepStrictEqual(yield* names("D-lhorsDlUQ"), ["comments-1", "video"])
      // The paged threads: both pages, under the video's stamp.
      const paged = yield* reader.listItem({ sourceType: "youtube", externalId: "F1UP7wRCPH8" })
      assert.deepStrictEqual(paged.map((i) => i.key.artifactType.split("@")[0]).sort(), [
        "comments-1",
        "comments-2",
        "video"
      ])
      const stamps = new Set(paged.map((i) => i.key.artifactType.split("@")[1]))
      assert.strictEqual(stamps.size, 1, "the pages carry their video's stamp")
      const page2 = paged.find((i) => i.key.artifactType.startsWith("comments-2@"))!
      assert.deepStrictEqual(yield* reader.get(page2.key), served("youtube/comment_threads_by_video_paged_2.json"))
      const video = paged.find((i) => i.key.artifactType.startsWith("video@"))!
      assert.deepStrictEqual(yield* reader.get(video.key), served("youtube/videos_F1UP7wRCPH8_derived.json"))
      assert.deepStrictEqual(yield* names("wrongShape1"), ["fetch-error", "video"])
      assert.deepStrictEqual(yield* names("forbidden01"), ["fetch-error"])

      const recordOf = (id: string) =>
        Effect.gen(function* () {
          const files = yield* reader.listItem({ sourceType: "youtube", externalId: id })
          const info = files.find((i) => i.key.artifactType.startsWith("fetch-error@"))!
          return JSON.parse(text(yield* reader.get(info.key))) as Record<string, unknown>
        })
      const wrong = yield* recordOf("wrongShape1")
      assert.strictEqual(wrong["reason"], "invalid-response")
      assert.include(String(wrong["message"]), "YouTube videos.list")
      const gone = yield* recordOf("goneVideo01")
      assert.strictEqual(gone["reason"], "not-found")
      assert.strictEqual(gone["status"], 404)
      const refused = yield* recordOf("forbidden01")
      assert.strictEqual(refused["reason"], "http-status")
      assert.strictEqual(refused["status"], 403)

      // What was asked: the parts, the second page by its token; the key in the header, never in a URL or bronze.
      const asked = server.requests()
      assert.isTrue(asked.every((r) => r.headers["x-goog-api-key"] === KEY))
      assert.isTrue(asked.every((r) => !r.url.href.includes(KEY)))
      const video1 = asked.find((r) => r.url.pathname === "/videos" && r.url.searchParams.get("id") === "D-lhorsDlUQ")!
      assert.strictEqual(video1.url.searchParams.get("part"), "snippet,statistics,contentDetails")
      const pages = asked.filter(
        (r) => r.url.pathname === "/commentThreads" && r.url.searchParams.get("videoId") === "F1UP7wRCPH8"
      )
      assert.deepStrictEqual(
        pages.map((r) => [r.url.searchParams.get("part"), r.url.searchParams.get("pageToken")]),
        [
          ["snippet,replies", null],
          ["snippet,replies", PAGE_2_TOKEN]
        ]
      )
      for (const id of ids)
        for (const info of yield* reader.listItem({ sourceType: "youtube", externalId: id }))
          assert.notInclude(text(yield* reader.get(info.key)), KEY, `${info.location} holds the key`)

      // A second pass: everything fetched is up to date, nothing is asked again.
      const before = server.requests().length
      const again = yield* FetchWorker.runOnce(source)
      assert.deepStrictEqual(
        again.results.map((r) => [r.externalId, r.outcome, r.reason]).sort(),
        [
          ["D-lhorsDlUQ", "skipped", "up to date"],
          ["F1UP7wRCPH8", "skipped", "up to date"],
          ["JE8xdDp5B8Q", "skipped", "up to date"],
          ["forbidden01", "skipped", "failed recently"],
          ["goneVideo01", "skipped", "failed recently"],
          ["truncated01", "skipped", "failed recently"],
          ["wrongShape1", "skipped", "failed recently"]
        ].sort()
      )
      assert.strictEqual(server.requests().length, before)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("asks at most maxCommentPages pages of a video, and says so", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const logs = warnings()
      const source = yield* sourceFor({ videos: ["F1UP7wRCPH8"], maxCommentPages: 1 })
      const report = yield* FetchWorker.runOnce(source).pipe(Effect.provide(logs.layer))
      assert.strictEqual(report.results[0]?.outcome, "fetched")
      assert.strictEqual(server.requests().filter((r) => r.url.pathname === "/commentThreads").length, 1)
      assert.isTrue(logs.lines.some((l) => l.includes("F1UP7wRCPH8 has more than 1 page(s)")))
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a comment page of the wrong shape is stored, recorded with its reason, and fails the video", () =>
    Effect.gen(function* () {
      const reader = yield* BronzeReader
      const report = yield* FetchWorker.runOnce(yield* sourceFor({ videos: ["D-lhorsDlUQ"] }))
      assert.strictEqual(report.results[0]?.outcome, "failed")
      assert.include(report.results[0]?.reason ?? "", "comments-1: YouTube commentThreads.list")
      const files = yield* reader.listItem({ sourceType: "youtube", externalId: "D-lhorsDlUQ" })
      assert.deepStrictEqual(files.map((i) => i.key.artifactType.split("@")[0]).sort(), [
        "comments-1",
        "fetch-error",
        "video"
      ])
      const page = files.find((i) => i.key.artifactType.startsWith("comments-1@"))!
      assert.deepStrictEqual(yield* reader.get(page.key), served("youtube/videos_info_single.json"))
      const record = JSON.parse(
        text(yield* reader.get(files.find((i) => i.key.artifactType.startsWith("fetch-error@"))!.key))
      )
      assert.strictEqual(record.artifact, "comments-1")
      assert.strictEqual(record.reason, "invalid-response")
    }).pipe(
      Effect.provide(
        stack({
          answer: (url) =>
            url.pathname === "/commentThreads" ? { status: 200, file: "videos_info_single.json" } : undefined
        })
      )
    )
  )

  it.effect("a video whose comments are off is fetched without pages; another refusal of its pages fails it", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const reader = yield* BronzeReader
      const names = (id: string) =>
        Effect.map(reader.listItem({ sourceType: "youtube", externalId: id }), (files) =>
          files.map((i) => i.key.artifactType.split("@")[0]).sort()
        )
      server.answerWith((url) =>
        url.pathname === "/commentThreads" ? { status: 403, file: "error_comments_disabled_derived.json" } : undefined
      )
      const off = yield* FetchWorker.runOnce(yield* sourceFor({ videos: ["D-lhorsDlUQ"] }))
      assert.deepStrictEqual(
        off.results.map((r) => [r.outcome, r.reason]),
        [["fetched", "comments disabled"]]
      )
      assert.deepStrictEqual(yield* names("D-lhorsDlUQ"), ["video"])

      server.answerWith((url) =>
        url.pathname === "/commentThreads" ? { status: 403, file: "error_permission_resp.json" } : undefined
      )
      const refused = yield* FetchWorker.runOnce(yield* sourceFor({ videos: ["F1UP7wRCPH8"] }))
      assert.strictEqual(refused.results[0]?.outcome, "failed")
      assert.include(refused.results[0]?.reason ?? "", "comments-1: ")
      assert.deepStrictEqual(yield* names("F1UP7wRCPH8"), ["fetch-error", "video"])
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a quota answer stops every request of the source until the back-off passes; its videos stay due", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const reader = yield* BronzeReader
      const logs = warnings()
      const source = yield* sourceFor({
        name: "talks",
        videos: ["F1UP7wRCPH8", "D-lhorsDlUQ", "JE8xdDp5B8Q"],
        quotaBackoff: "10 minutes"
      })
      const run = FetchWorker.runOnce(source, { concurrency: 1 }).pipe(Effect.provide(logs.layer))
      const outcomes = (report: FetchWorker.FetchRunReport) =>
        report.results.map((r) => [r.externalId, r.outcome, r.reason?.split(" until ")[0]])

      // The quota runs out on the second comment page of the first video.
      server.answerWith((url) => (url.searchParams.get("pageToken") !== null ? QUOTA : undefined))
      const first = yield* run
      assert.deepStrictEqual(outcomes(first), [
        ["F1UP7wRCPH8", "fetched", "comments incomplete: quota back-off after quotaExceeded"],
        ["D-lhorsDlUQ", "skipped", "quota back-off after quotaExceeded"],
        ["JE8xdDp5B8Q", "skipped", "quota back-off after quotaExceeded"]
      ])
      assert.strictEqual(server.requests().length, 3, "nothing asked after the quota answer")
      assert.strictEqual(logs.lines.length, 1)
      assert.include(logs.lines[0]!, 'youtube source "talks": the API answered quotaExceeded (HTTP 403)')
      const files = yield* reader.listItem({ sourceType: "youtube", externalId: "F1UP7wRCPH8" })
      const record = JSON.parse(
        text(yield* reader.get(files.find((i) => i.key.artifactType.startsWith("fetch-error@"))!.key))
      )
      assert.strictEqual(record.artifact, "comments-2")
      assert.strictEqual(record.reason, "quota-exceeded")
      assert.strictEqual(record.status, 403)
      // The videos not asked for are untouched: no record says they failed.
      assert.deepStrictEqual(yield* reader.listItem({ sourceType: "youtube", externalId: "D-lhorsDlUQ" }), [])

      // The quota is back, but the back-off runs: nothing is asked.
      server.answerWith(undefined)
      yield* TestClock.adjust("9 minutes")
      const during = yield* run
      assert.isTrue(during.results.every((r) => r.outcome === "skipped"))
      assert.strictEqual(server.requests().length, 3)

      // Once it has passed, every video is fetched: the one the quota stopped too, before retryFailedAfter.
      yield* TestClock.adjust("2 minutes")
      const after = yield* run
      assert.deepStrictEqual(outcomes(after), [
        ["F1UP7wRCPH8", "fetched", undefined],
        ["D-lhorsDlUQ", "fetched", undefined],
        ["JE8xdDp5B8Q", "fetched", undefined]
      ])
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a restarted source keeps the back-off recorded in bronze, and asks again once it has passed", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const reader = yield* BronzeReader
      const logs = warnings()
      const entry = { name: "talks", videos: ["F1UP7wRCPH8", "D-lhorsDlUQ"], quotaBackoff: "10 minutes" }
      const run = <R>(source: Source<R>) =>
        FetchWorker.runOnce(source, { concurrency: 1 }).pipe(Effect.provide(logs.layer))
      const outcomes = (report: FetchWorker.FetchRunReport) =>
        report.results.map((r) => [r.externalId, r.outcome, r.reason?.split(" until ")[0]])
      const heldBack = [
        ["F1UP7wRCPH8", "skipped", "quota back-off after quotaExceeded"],
        ["D-lhorsDlUQ", "skipped", "quota back-off after quotaExceeded"]
      ]
      // A second fetch process of the same entry, started (its code loaded) before the quota answer.
      const second = yield* sourceFor(entry)
      yield* second.discover

      server.answerWith(() => QUOTA)
      assert.deepStrictEqual(outcomes(yield* run(yield* sourceFor(entry))), heldBack)
      assert.strictEqual(server.requests().length, 1)
      const folder = yield* reader.listItem({ sourceType: "youtube", externalId: "_quota:talks" })
      assert.deepStrictEqual(
        folder.map((i) => `${i.key.artifactType}.${i.key.ext}`),
        ["backoff@1970-01-01T00-00-00Z.json"]
      )
      assert.deepStrictEqual(JSON.parse(text(yield* reader.get(folder[0]!.key))), {
        until: "1970-01-01T00:10:00.000Z",
        reason: "quotaExceeded",
        status: 403
      })

      // The quota is back, but a restart within the back-off (a new source over the same bronze) asks nothing.
      server.answerWith(undefined)
      yield* TestClock.adjust("5 minutes")
      const restarted = yield* sourceFor(entry)
      const during = yield* run(restarted)
      assert.deepStrictEqual(outcomes(during), heldBack)
      assert.isTrue(during.results.every((r) => r.reason?.endsWith("until 1970-01-01T00:10:00.000Z")))
      assert.strictEqual(server.requests().length, 1)
      const adopted = logs.lines.filter((l) => l.includes("before this run"))
      assert.strictEqual(adopted.length, 1, "one warning for the run, none per video")
      assert.include(
        adopted[0]!,
        'youtube source "talks": the API answered quotaExceeded (HTTP 403) before this run: no request until 1970-01-01T00:10:00.000Z'
      )
      // The second process reads it at its next run; a run of given items (a backfill) at its first fetch.
      assert.deepStrictEqual(outcomes(yield* run(second)), heldBack)
      const backfill = yield* FetchWorker.fetchAll(yield* sourceFor(entry), [{ externalId: "D-lhorsDlUQ" }])
      assert.deepStrictEqual(outcomes(backfill), [heldBack[1]])
      assert.strictEqual(server.requests().length, 1)

      // Once it has passed, the restarted source asks again.
      yield* TestClock.adjust("6 minutes")
      assert.deepStrictEqual(outcomes(yield* run(restarted)), [
        ["F1UP7wRCPH8", "fetched", undefined],
        ["D-lhorsDlUQ", "fetched", undefined]
      ])
      assert.isAbove(server.requests().length, 1)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a restart adopts the latest end among the recorded back-offs, not merely the newest record", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const writer = yield* BronzeWriter
      const logs = warnings()
      const entry = { name: "talks", videos: ["F1UP7wRCPH8"], quotaBackoff: "10 minutes" }
      const record = (stamp: string, value: unknown) =>
        writer.put(
          { sourceType: "youtube", externalId: "_quota:talks", artifactType: `backoff@${stamp}`, ext: "json" },
          new TextEncoder().encode(JSON.stringify(value))
        )
      // One process backed off for an hour; another, a second later, for ten minutes only.
      yield* record("1970-01-01T00-00-00Z", { until: "1970-01-01T01:00:00.000Z", reason: "rateLimitExceeded" })
      yield* record("1970-01-01T00-00-01Z", { until: "1970-01-01T00:10:00.000Z", reason: "quotaExceeded" })
      yield* record("1970-01-01T00-00-02Z", { until: "not a time" })
      yield* TestClock.adjust("20 minutes")
      const report = yield* FetchWorker.runOnce(yield* sourceFor(entry)).pipe(Effect.provide(logs.layer))
      assert.deepStrictEqual(
        report.results.map((r) => [r.outcome, r.reason]),
        [["skipped", "quota back-off after rateLimitExceeded until 1970-01-01T01:00:00.000Z"]]
      )
      assert.strictEqual(server.requests().length, 0)
      assert.isTrue(logs.lines.some((l) => l.includes("backoff@1970-01-01T00-00-02Z.json is not a back-off record")))
    }).pipe(Effect.provide(stack()))
  )

  it.effect("records older than a back-off can last are not read at all", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const writer = yield* BronzeWriter
      const logs = warnings()
      const put = (stamp: string, value: unknown) =>
        writer.put(
          { sourceType: "youtube", externalId: "_quota:talks", artifactType: `backoff@${stamp}`, ext: "json" },
          new TextEncoder().encode(JSON.stringify(value))
        )
      // Written three days ago: one claiming a back-off of ten days, one that is not a record at all.
      yield* put("1970-01-01T00-00-00Z", { until: "1970-01-11T00:00:00.000Z", reason: "quotaExceeded" })
      yield* put("1970-01-01T00-00-01Z", { until: "not a time" })
      yield* TestClock.adjust("3 days")
      const report = yield* FetchWorker.runOnce(
        yield* sourceFor({ name: "talks", videos: ["F1UP7wRCPH8"], quotaBackoff: "10 minutes" })
      ).pipe(Effect.provide(logs.layer))
      assert.deepStrictEqual(
        report.results.map((r) => r.outcome),
        ["fetched"]
      )
      assert.isAbove(server.requests().length, 0)
      assert.deepStrictEqual(
        logs.lines.filter((l) => l.includes("_quota:talks")),
        []
      )
    }).pipe(Effect.provide(stack()))
  )

  it.effect("the back-off record is no item: transforming every folder of bronze gives it no silver row", () =>
    Effect.gen(function* () {
      const server = yield* YoutubeServer
      const reader = yield* BronzeReader
      const repo = yield* ItemRepo
      server.answerWith((url) => (url.searchParams.get("pageToken") !== null ? QUOTA : undefined))
      yield* FetchWorker.runOnce(yield* sourceFor({ name: "talks", videos: ["F1UP7wRCPH8"] }))

      // Every item folder bronze holds, as the bronze -> silver sensor hands them to the transform job.
      const page = yield* reader.scan({ limit: 1000 })
      assert.isTrue(page.complete)
      const keys = new Map<string, ItemKey>()
      for (const { key } of page.entries)
        keys.set(`${key.sourceType}/${key.externalId}`, { sourceType: key.sourceType, externalId: key.externalId })
      const record = { sourceType: "youtube", externalId: YoutubeNames.quotaId("talks") }
      assert.deepStrictEqual([...keys.keys()].sort(), ["youtube/F1UP7wRCPH8", "youtube/_quota:talks"])

      const report = yield* TransformJob.runBatch([...keys.values()], {
        transforms: SourcePlugins.transforms(SourcePlugins.builtIn)
      })
      const rows = report.rows.find((r) => r.key.externalId === record.externalId)!
      assert.strictEqual(rows.outcome, "transformed")
      assert.isUndefined(rows.item)
      assert.deepStrictEqual(rows.discovered, [])
      assert.isFalse(report.failures.some((f) => (f.item as ItemKey).externalId === record.externalId))
      assert.isTrue(Option.isNone(yield* repo.get(record)), "no silver row for the back-off folder")
      assert.isTrue(Option.isSome(yield* repo.get({ sourceType: "youtube", externalId: "F1UP7wRCPH8" })))
      assert.isTrue(YoutubeNames.isQuotaFolder(record.externalId))
      assert.isFalse(YoutubeNames.isQuotaFolder("_OBlgSz8sSM"), "a video id may start with _")
    }).pipe(Effect.provide(Layer.merge(stack(), ItemRepo.layerTest)))
  )
})
