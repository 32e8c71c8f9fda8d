/**
 * The fetch daemon never fails silently: a source whose discovery document cannot be parsed, or whose
 * address the SSRF guard refuses, logs a warning with the source's name and the reason and counts in
 * `fetch_discovery_errors_total{source,reason}`; a failed transcription logs a warning with the source
 * and the server's message and counts as `fetch_media_tasks_total{source,task,outcome="failed"}`.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { BronzeReader, FileSystemBronze } from "@medallion/bronze"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, Metric, Option, Redacted, Schedule } from "effect"
import { FeedEntryId, FeedSource, FetchHttp, RobotsTxt, Transcriber } from "@medallion/workers/fetch"
import { FixtureServer } from "@medallion/workers/testing"
import * as FetchDaemon from "../src/FetchDaemon.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-fetch-failures-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** The counters of one metric, by their attributes, as `/metrics` would show them. */
const counters = (id: string) =>
  Effect.map(Metric.snapshot, (all) =>
    all
      .filter((m) => m.id === id && m.type === "Counter")
      .map((m) => ({ attributes: { ...m.attributes }, count: Number((m.state as { count: number | bigint }).count) }))
  )

/** Polls `read` until `done` holds; fails with `what` after a generous deadline (a loaded machine is slow, never wrong). */
const waitFor = <A, E, R>(what: string, read: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  read.pipe(
    Effect.repeat({ until: done, schedule: Schedule.spaced("50 millis") }),
    Effect.timeoutOption("20 seconds"),
    Effect.flatMap((result) =>
      Option.isSome(result) ? Effect.succeed(result.value) : Effect.die(new Error(`gave up waiting: ${what}`))
    )
  )

/** A logger that keeps every line's level and message. */
const captured = () => {
  const lines: Array<{ readonly level: string; readonly message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel, message: (Array.isArray(message) ? message : [message]).map(String).join(" ") })
  })
  return { lines, layer: Logger.layer([logger]) }
}

describe("the fetch daemon reports what failed", () => {
  it.live("a feed that does not parse and a refused one: a warning with source and reason, a counter by reason", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const root = yield* tempRoot
      const log = captured()
      const registry = new Map()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            FetchDaemon.layer({
              sources: [
                {
                  name: "not-a-feed",
                  every: Duration.hours(1),
                  source: FeedSource.make({ feeds: [`${server.url}/articles/v8-blog.html`] })
                },
                {
                  name: "private",
                  every: Duration.hours(1),
                  source: FeedSource.make({ feeds: ["http://10.1.2.3/feed.xml"] })
                }
              ],
              concurrency: 1
            }).pipe(
              Layer.provide(RobotsTxt.layer()),
              Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" })),
              Layer.provideMerge(
                FetchHttp.layer({
                  addressPolicy: { allow: ["127.0.0.1/32"], setting: "http.allowNetworks" },
                  maxRetries: 0
                })
              )
            )
          )
          // Both sources run once at start: wait until both counted.
          yield* waitFor(
            "two discovery errors counted",
            counters("fetch_discovery_errors_total"),
            (all) => all.reduce((n, c) => n + c.count, 0) >= 2
          )
        })
      ).pipe(Effect.provide(log.layer), Effect.provideService(Metric.MetricRegistry, registry))

      const errors = yield* counters("fetch_discovery_errors_total").pipe(
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      assert.deepStrictEqual(
        errors.map((c) => `${c.attributes["source"]} ${c.attributes["reason"]}: ${c.count}`).sort(),
        ["not-a-feed invalid-response: 1", "private address-refused: 1"]
      )
      const warnings = log.lines.filter((l) => l.level === "Warn").map((l) => l.message)
      const parse = warnings.find((w) => w.startsWith("source not-a-feed: discovery of feed"))
      assert.isDefined(parse, warnings.join("\n"))
      assert.include(parse!, "failed: invalid-response: not a recognizable")
      const refused = warnings.find((w) => w.startsWith("source private: discovery of feed http://10.1.2.3/feed.xml"))
      assert.isDefined(refused, warnings.join("\n"))
      assert.include(
        refused!,
        "address-refused: refused to connect to 10.1.2.3: a special-purpose address, not covered by http.allowNetworks"
      )
      // The summary line says it too, where it used to read "0 discovered ... 0 failed" alone.
      assert.isTrue(
        log.lines.some(
          (l) =>
            l.level === "Info" &&
            l.message.includes("source not-a-feed: 0 discovered") &&
            l.message.includes("1 discovery failure(s)")
        ),
        log.lines.map((l) => l.message).join("\n")
      )
    }).pipe(Effect.provide(FixtureServer.layer()))
  )

  it.live("a transcription the API refuses: a warning with source and the server's message, counted as failed", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const root = yield* tempRoot
      const log = captured()
      const registry = new Map()
      const failed = { source: "podcast", task: "transcription", outcome: "failed" }
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            FetchDaemon.layer({
              sources: [
                {
                  name: "podcast",
                  every: Duration.hours(1),
                  source: FeedSource.make({ feeds: [`${server.url}/podcast.xml`], fetchArticles: false })
                }
              ],
              concurrency: 2
            }).pipe(
              Layer.provide(
                Transcriber.layer({ endpoint: server.url, apiKey: Option.some(Redacted.make("a-wrong-key")) })
              ),
              Layer.provide(RobotsTxt.layer()),
              Layer.provideMerge(FileSystemBronze.layerWith({ root, catalog: "scan" })),
              Layer.provideMerge(FetchHttp.layer({ addressPolicy: { allow: ["127.0.0.1/32"] }, maxRetries: 0 }))
            )
          )
          yield* waitFor("two failed transcriptions counted", counters("fetch_media_tasks_total"), (all) =>
            all.some((c) => c.attributes["outcome"] === "failed" && c.count >= 2)
          )
        })
      ).pipe(Effect.provide(log.layer), Effect.provideService(Metric.MetricRegistry, registry))

      const tasks = yield* counters("fetch_media_tasks_total").pipe(
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      assert.deepStrictEqual(
        tasks.map((c) => [c.attributes, c.count]),
        [[failed, 2]]
      )
      const warnings = log.lines.filter((l) => l.level === "Warn").map((l) => l.message)
      for (const guid of ["fixture-podcast-jfk-wav", "fixture-podcast-jfk-mp3"]) {
        const episode = FeedEntryId.entryId(`${server.url}/podcast.xml`, guid)
        assert.include(
          warnings,
          `source podcast: transcription of feed/${episode} failed: HTTP 401: Incorrect API key provided`,
          warnings.join("\n")
        )
      }
    }).pipe(Effect.provide(FixtureServer.layer({ apiKey: "the-right-key" })))
  )

  it.live(
    "no transcriber configured: downloaded media is recorded as not to be transcribed, so it is never pending forever",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const root = yield* tempRoot
        const bronze = FileSystemBronze.layerWith({ root, catalog: "scan" })
        const episodes = ["fixture-podcast-jfk-wav", "fixture-podcast-jfk-mp3"].map((guid) => ({
          sourceType: "feed",
          externalId: FeedEntryId.entryId(`${server.url}/podcast.xml`, guid)
        }))
        const declined = Effect.gen(function* () {
          const reader = yield* BronzeReader
          const found = yield* Effect.forEach(episodes, (item) => reader.listItem(item))
          return found.filter((infos) => infos.some((i) => i.key.artifactType === "transcript-declined")).length
        })
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Layer.build(
              FetchDaemon.layer({
                sources: [
                  {
                    name: "podcast",
                    every: Duration.hours(1),
                    source: FeedSource.make({ feeds: [`${server.url}/podcast.xml`], fetchArticles: false })
                  }
                ],
                concurrency: 2
              }).pipe(
                Layer.provide(RobotsTxt.layer()),
                Layer.provide(FetchHttp.layer({ addressPolicy: { allow: ["127.0.0.1/32"] }, maxRetries: 0 }))
              )
            )
            yield* waitFor("both episodes recorded as not to be transcribed", declined, (n) => n === 2)
          })
        ).pipe(Effect.provide(bronze))
        const record = yield* Effect.flatMap(BronzeReader, (reader) =>
          reader.get({ ...episodes[0]!, artifactType: "transcript-declined", ext: "json" })
        ).pipe(Effect.provide(bronze))
        assert.include(
          new TextDecoder().decode(record),
          "transcription is not enabled on the fetch daemon (transcription.enabled)"
        )
      }).pipe(Effect.provide(FixtureServer.layer()))
  )
})
