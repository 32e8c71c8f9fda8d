/**
 * The built-in YouTube source through the CLI's own commands as real processes, configured like any entry with
 * its API key in the environment: without the key `fetch` refuses to start, naming the variable; with it,
 * `fetch` reads the videos and their comment pages (two pages followed by their token) from a loopback server
 * answering with captured YouTube Data API JSON (the workers' `test/fixtures/youtube/` and
 * `test/fixtures/server/youtube/`, see their SOURCES.md) only for that key in the `X-Goog-Api-Key` header; the
 * `transform` daemon turns bronze into silver: the videos with their comments, the one answered wrongly a
 * failed item with its reason. `status` names what failed.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { fixturesDir } from "@medallion/workers/testing"
import { Effect, Redacted } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const FIXTURES = Path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "workers",
  "test",
  "fixtures",
  "youtube"
)

/** A capture the fixture server (the offline demo's) serves as well is kept once, in its folder. */
const fixture = (name: string): string => {
  const served = Path.join(fixturesDir, "youtube", name)
  return Fs.existsSync(served) ? served : Path.join(FIXTURES, name)
}

const KEY = "cli-test-key-not-a-secret"

const read = (name: string) => Fs.readFileSync(fixture(name))
const PAGE_2 = (JSON.parse(read("comment_threads_by_video_paged_1.json").toString("utf8")) as { nextPageToken: string })
  .nextPageToken

/** The answers by path and the id (or video id and page token) asked for. */
const ROUTES: Readonly<Record<string, string>> = {
  "/videos D-lhorsDlUQ": "videos_info_single.json",
  "/videos F1UP7wRCPH8": "videos_F1UP7wRCPH8_derived.json",
  "/videos wrongShape1": "info.json",
  "/commentThreads D-lhorsDlUQ ": "comment_threads_multi.json",
  "/commentThreads F1UP7wRCPH8 ": "comment_threads_by_video_paged_1.json",
  [`/commentThreads F1UP7wRCPH8 ${PAGE_2}`]: "comment_threads_by_video_paged_2.json"
}

const youtubeServer = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly server: Http.Server; readonly urls: Array<string> }>((resume) => {
    const urls: Array<string> = []
    const server = Http.createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1")
      urls.push(url.href)
      if (request.headers["x-goog-api-key"] !== KEY)
        return response.writeHead(400, { "content-type": "application/json" }).end(read("error_response.json"))
      const route =
        url.pathname === "/videos"
          ? `/videos ${url.searchParams.get("id")}`
          : `/commentThreads ${url.searchParams.get("videoId")} ${url.searchParams.get("pageToken") ?? ""}`
      const name = ROUTES[route]
      if (name === undefined) response.writeHead(404).end()
      else response.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(read(name))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, server, urls }))
    })
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
)

describe("the youtube source in the CLI", () => {
  it.live(
    "fetch (with the key from the environment) and the transform daemon bring videos and their comments into silver",
    () =>
      Effect.gen(function* () {
        const server = yield* youtubeServer
        const database = yield* TestDatabase.makeDatabase("medallion_youtube")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-youtube-")
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          http: { allowNetworks: ["127.0.0.1/32"] },
          sensors: { interval: "1 second", batchSize: 10 },
          metrics: { fetchPort: 0, transformPort: 0 },
          sources: [
            {
              type: "youtube",
              name: "talks",
              baseUrl: server.url,
              videos: ["D-lhorsDlUQ", "https://www.youtube.com/watch?v=F1UP7wRCPH8", "wrongShape1"]
            }
          ]
        })
        const dataDir = Path.join(dir, "data")
        const args = (...rest: ReadonlyArray<string>) => [...Medallion.flags(dataDir, configFile), ...rest]

        // No key: the start stops, naming the variable, before anything is asked.
        const keyless = yield* Medallion.run({
          args: args("fetch"),
          env: { DATABASE_URL: Redacted.value(database.url), YOUTUBE_API_KEY: undefined }
        })
        assert.notStrictEqual(keyless.code, 0)
        assert.include(keyless.output, "the environment variable YOUTUBE_API_KEY is not set")
        assert.deepStrictEqual(server.urls, [])

        const env = { DATABASE_URL: Redacted.value(database.url), YOUTUBE_API_KEY: KEY }
        const stored = (id: string, prefix: string) =>
          Fs.existsSync(Path.join(bronzeRoot, "youtube", id)) &&
          Fs.readdirSync(Path.join(bronzeRoot, "youtube", id)).some((f) => f.startsWith(prefix))
        const fetch = yield* Medallion.spawn({ args: args("fetch"), env })
        yield* Medallion.within(
          "the fetch daemon to store the videos, both comment pages and the failure record",
          Effect.sync(
            () =>
              stored("D-lhorsDlUQ", "comments-1@") &&
              stored("F1UP7wRCPH8", "comments-2@") &&
              stored("wrongShape1", "fetch-error@")
          ),
          fetch.output
        )
        yield* fetch.kill("SIGTERM")
        yield* fetch.exited
        assert.isTrue(
          server.urls.every((url) => !url.includes(KEY)),
          "the key went into a URL"
        )
        assert.notInclude(fetch.output(), KEY)

        const transform = yield* Medallion.spawn({ args: args("transform"), env })
        const youtube = Effect.map(Silver.items(sql), (rows) => rows.filter((r) => r.sourceType === "youtube"))
        yield* Medallion.within(
          "the transform daemon to write the three videos",
          Effect.map(youtube, (rows) => rows.length === 3 && rows.every((r) => r.transformStatus !== "pending")),
          transform.output
        )
        yield* transform.kill("SIGTERM")
        yield* transform.exited

        const rows = new Map((yield* youtube).map((r) => [r.externalId, r]))
        assert.strictEqual(rows.get("D-lhorsDlUQ")?.title, "What are Actions on Google (Assistant on Air)")
        assert.strictEqual(rows.get("D-lhorsDlUQ")?.transformStatus, "transformed")
        assert.strictEqual(rows.get("F1UP7wRCPH8")?.transformStatus, "transformed")
        assert.strictEqual(rows.get("wrongShape1")?.fetchStatus, "failed")
        assert.include(rows.get("wrongShape1")?.fetchError ?? "", "invalid-response: YouTube videos.list")
        assert.deepStrictEqual(yield* Silver.commentIds(sql, "youtube", "D-lhorsDlUQ"), [
          "UgxKREWxIgDrw8w2e_Z4AaABAg",
          "UgyrVQaFfEdvaSzstj14AaABAg"
        ])
        assert.strictEqual((yield* Silver.commentIds(sql, "youtube", "F1UP7wRCPH8")).length, 5)

        const status = yield* Medallion.run({ args: args("status"), env })
        assert.include(status.stdout, "wrongShape1")
        assert.notInclude(status.stdout, "have no transform")
      }).pipe(Effect.scoped),
    300_000
  )
})
