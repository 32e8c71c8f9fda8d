/**
 * No silent failure, end to end on real processes: a feed the SSRF guard refuses and a feed that does
 * not parse each log a warning with the source's name and reason, count in the fetch daemon's
 * `/metrics`, reach silver through bronze (the fetch side's failure record) as a failed row of the
 * feed's folder, and show in `status` and `status --json`. A configuration change that fixes the
 * refused source moves its row on to `fetched` at the next discovery; no run fails on the way, so
 * there is nothing `retry` could not clear.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { BronzeWriter, FileSystemBronze } from "@medallion/bronze"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { TestDatabase } from "@medallion/silver/testing"
import { FeedSource } from "@medallion/workers/fetch"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

interface StatusJson {
  readonly failures: {
    readonly fetch: number
    readonly items: ReadonlyArray<{
      readonly sourceType: string
      readonly externalId: string
      readonly stage: string
      readonly reason: string | null
      readonly source?: string
    }>
  }
  readonly sensors: ReadonlyArray<{ readonly name: string; readonly runs: Readonly<Record<string, number>> }>
}

describe("failures are visible from the fetch daemon to status", () => {
  it.live(
    "a refused feed and a feed that does not parse: warned, counted, failed rows in silver and status; a config fix supersedes",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_visible")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-visible-")
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const fetchPort = yield* EmbeddedPostgres.freePort
        const podcastUrl = `${server.url}/podcast.xml`
        const brokenUrl = `${server.url}/articles/v8-blog.html`
        const podcast = { sourceType: "feed", externalId: FeedSource.feedId(podcastUrl) }
        const broken = { sourceType: "feed", externalId: FeedSource.feedId(brokenUrl) }
        const configFile = Path.join(dir, "medallion.json")
        const config = (allowNetworks: ReadonlyArray<string>, feeds: ReadonlyArray<readonly [string, string]>) =>
          Medallion.writeJson(configFile, {
            bronze: { root: Path.join(dir, "bronze") },
            sources: feeds.map(([name, url]) => ({
              type: "feed",
              name,
              url,
              every: "1 minute",
              fetchEnclosures: false
            })),
            http: { allowNetworks },
            sensors: { interval: "1 second", batchSize: 10 },
            metrics: { fetchPort, transformPort: 0 }
          })
        const start = (command: "fetch" | "transform", data: string) =>
          Medallion.spawn({ args: [...Medallion.flags(Path.join(dir, data), configFile), command], env })
        const row = (key: { readonly sourceType: string; readonly externalId: string }) =>
          Effect.map(Silver.items(sql), (rows) =>
            rows.find((r) => r.sourceType === key.sourceType && r.externalId === key.externalId)
          )
        const status = (...flags: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            const result = yield* Medallion.run({
              args: [...Medallion.flags(Path.join(dir, "status-data"), configFile), "status", ...flags],
              env
            })
            assert.strictEqual(result.code, 0, result.output)
            return result.stdout
          })

        // Loopback is not allowed: the podcast feed is refused by the SSRF guard.
        config([], [["podcast", podcastUrl]])
        const transform = yield* start("transform", "transform-data")
        const fetch = yield* start("fetch", "fetch-data")
        const output = () => `${transform.output()}\n${fetch.output()}`
        yield* Medallion.within(
          "the refused feed's failed row",
          Effect.map(row(podcast), (r) => r?.fetchStatus === "failed"),
          output
        )
        const refused = (yield* row(podcast))!
        assert.strictEqual(refused.transformStatus, "transformed", "a discovery failure fails no run")
        assert.match(
          refused.fetchError!,
          /^feed: address-refused: refused to connect to 127\.0\.0\.1: a special-purpose address, not covered by http\.allowNetworks/
        )
        assert.isTrue(
          fetch
            .stderr()
            .split("\n")
            .some(
              (l) =>
                l.includes("WARN") &&
                l.includes(`source podcast: discovery of feed ${podcastUrl} failed: address-refused`)
            ),
          fetch.output()
        )
        const metrics = yield* Effect.promise(() =>
          fetch_(`http://127.0.0.1:${fetchPort}/metrics`).then((r) => r.text())
        )
        const counted = metrics
          .split("\n")
          .find((l) => l.startsWith("medallion_fetch_discovery_errors_total{") && l.includes('source="podcast"'))
        assert.isDefined(counted, metrics)
        assert.include(counted!, 'reason="address-refused"')
        assert.match(counted!, / [1-9]\d*$/)

        const json = JSON.parse(yield* status("--json")) as StatusJson
        assert.strictEqual(json.failures.fetch, 1)
        const listed = json.failures.items.find((f) => f.externalId === podcast.externalId)
        assert.deepStrictEqual([listed?.stage, listed?.source], ["fetch", "podcast"])
        assert.include(listed?.reason, "not covered by http.allowNetworks")
        const human = yield* status()
        assert.include(human, "failed                fetch 1, transcription 0, transform 0")
        assert.include(human, `fetch          ${podcast.sourceType}/${podcast.externalId} (source podcast)`)

        // The operator allows loopback and adds a second feed, which turns out to be a web page.
        yield* fetch.kill("SIGTERM")
        yield* fetch.exited
        config(
          ["127.0.0.1/32"],
          [
            ["podcast", podcastUrl],
            ["not-a-feed", brokenUrl]
          ]
        )
        const fixed = yield* start("fetch", "fetch-data")
        yield* Medallion.within(
          "the podcast fetched and the web page a failed feed",
          Effect.gen(function* () {
            const [p, b] = [yield* row(podcast), yield* row(broken)]
            return p?.fetchStatus === "fetched" && b?.fetchStatus === "failed"
          }),
          () => `${transform.output()}\n${fixed.output()}`
        )
        assert.match((yield* row(broken))!.fetchError!, /^feed: invalid-response: not a recognizable/)
        // The podcast's entries came in with its first good discovery. Their audio is not fetched by this
        // configuration: their transcription is skipped, with the reason, not pending forever.
        const entries = Effect.map(Silver.items(sql), (rows) =>
          rows.filter((r) => r.sourceType === "feed" && !r.externalId.startsWith("_"))
        )
        yield* Medallion.within(
          "both entries fetched, their transcription skipped",
          Effect.map(entries, (rows) => rows.length === 2 && rows.every((r) => r.transcriptionStatus === "skipped")),
          () => `${transform.output()}\n${fixed.output()}`
        )
        for (const entry of yield* entries)
          assert.include(entry.transcriptionError, "the source does not fetch enclosures (fetchEnclosures: false)")
        assert.isTrue(
          fixed
            .stderr()
            .split("\n")
            .some(
              (l) =>
                l.includes("WARN") &&
                l.includes(`source not-a-feed: discovery of feed ${brokenUrl} failed: invalid-response`)
            ),
          fixed.output()
        )

        const after = JSON.parse(yield* status("--json")) as StatusJson
        assert.deepStrictEqual(
          after.failures.items.map((f) => [f.externalId, f.source]),
          [[broken.externalId, "not-a-feed"]]
        )
        const bronzeSensor = after.sensors.find((s) => s.name === "bronze-to-silver")
        assert.isUndefined(bronzeSensor?.runs["failed"], JSON.stringify(bronzeSensor))
        const retry = yield* Medallion.run({
          args: [...Medallion.flags(Path.join(dir, "retry-data"), configFile), "retry"],
          env
        })
        assert.strictEqual(retry.code, 0, retry.output)
        assert.include(retry.stdout, "retried 0 failed run(s)")
        assert.isUndefined(transform.exit(), transform.output())
      }).pipe(Effect.provide(FixtureServer.layer())),
    240_000
  )

  it.live(
    "a run the transform failed is cleared by retry once its item is fixed in bronze",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_retry")
        const dir = yield* Medallion.tempDir("medallion-retry-")
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          sensors: { interval: "1 second", batchSize: 10 },
          metrics: { fetchPort: 0, transformPort: 0 }
        })
        const bronze = FileSystemBronze.layerWith({ root: bronzeRoot, catalog: "scan" })
        const put = (artifactType: string, text: string) =>
          Effect.flatMap(BronzeWriter, (writer) =>
            writer.put(
              { sourceType: "hn", externalId: "424242", artifactType, ext: "json" },
              new TextEncoder().encode(text)
            )
          ).pipe(Effect.provide(bronze))
        const medallion = (...args: ReadonlyArray<string>) =>
          Medallion.run({ args: [...Medallion.flags(Path.join(dir, "cli-data"), configFile), ...args], env })
        const failedRuns = Effect.map(medallion("status", "--json"), (result) => {
          const report = JSON.parse(result.stdout) as StatusJson
          return report.sensors.find((s) => s.name === "bronze-to-silver")?.runs["failed"] ?? 0
        })

        yield* put("item", "{ this is not json")
        const transform = yield* Medallion.spawn({
          args: [...Medallion.flags(Path.join(dir, "transform-data"), configFile), "transform"],
          env
        })
        yield* Medallion.within(
          "the run of the bad item to fail",
          Effect.map(failedRuns, (n) => n === 1),
          transform.output
        )
        // Retry while the item is still bad: it fails again, and says so.
        const again = yield* medallion("retry")
        assert.strictEqual(again.code, 0, again.output)
        assert.include(again.stdout, "retried 1 failed run(s); 1 still failing")
        // A good version of the item arrives (a refetch); retry now clears the failed run.
        yield* put(
          "item@2026-11-27T05-00-00Z",
          JSON.stringify({ id: 424242, type: "story", by: "pg", time: 1764219600, title: "Fixed", kids: [] })
        )
        const cleared = yield* medallion("retry")
        assert.include(cleared.stdout, "retried 1 failed run(s); 0 still failing", cleared.output)
        assert.strictEqual(yield* failedRuns, 0)
        assert.isUndefined(transform.exit(), transform.output())
      }),
    240_000
  )
})

/** The global fetch, under a name that does not clash with the daemon's. */
const fetch_ = (url: string) => globalThis.fetch(url)
