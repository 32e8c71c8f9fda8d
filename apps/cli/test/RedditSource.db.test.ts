/**
 * The built-in Reddit source through the CLI's own commands as real processes, configured like any entry:
 * `fetch` reads r/test's listing and two threads from a loopback server answering with captured Reddit JSON
 * (the workers' `test/fixtures/reddit/` and `test/fixtures/server/reddit/`, see their SOURCES.md), expanding a
 * `more` stub with morechildren; the `transform` daemon turns bronze into silver: the posts with their comment
 * trees, and the threads answered wrongly as failed items with their reasons. `status` names what failed.
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
  "reddit"
)

/** A capture the fixture server (the offline demo's) serves as well is kept once, in its folder. */
const fixture = (name: string): string => {
  const served = Path.join(fixturesDir, "reddit", name)
  return Fs.existsSync(served) ? served : Path.join(FIXTURES, name)
}

const ROUTES: Readonly<Record<string, string>> = {
  "/r/test/new.json": "subreddit_posts.json",
  "/comments/testpost.json": "post_post.json",
  "/comments/123.json": "thread_123_derived.json",
  "/comments/agi5zf.json": "subreddit_posts.json",
  "/comments/hyhquk.json": "post_post_truncated.json",
  "/api/morechildren.json": "post_more.json"
}

const redditServer = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly server: Http.Server }>((resume) => {
    const server = Http.createServer((request, response) => {
      const name = ROUTES[new URL(request.url ?? "/", "http://127.0.0.1").pathname]
      if (name === undefined) response.writeHead(404).end()
      else
        response
          .writeHead(200, { "content-type": "application/json; charset=UTF-8" })
          .end(Fs.readFileSync(fixture(name)))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, server }))
    })
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
)

describe("the reddit source in the CLI", () => {
  it.live(
    "fetch and the transform daemon bring posts and their comment trees into silver",
    () =>
      Effect.gen(function* () {
        const server = yield* redditServer
        const database = yield* TestDatabase.makeDatabase("medallion_reddit")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-reddit-")
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          http: { allowNetworks: ["127.0.0.1/32"] },
          sensors: { interval: "1 second", batchSize: 10 },
          metrics: { fetchPort: 0, transformPort: 0 },
          sources: [
            {
              type: "reddit",
              name: "r-test",
              baseUrl: server.url,
              subreddit: "test",
              threads: ["https://www.reddit.com/r/test/comments/testpost/test/", "123"],
              maxMoreComments: 3
            }
          ]
        })
        const env = { DATABASE_URL: Redacted.value(database.url) }
        const dataDir = Path.join(dir, "data")
        const args = (...rest: ReadonlyArray<string>) => [...Medallion.flags(dataDir, configFile), ...rest]
        const stored = (id: string, prefix: string) =>
          Fs.existsSync(Path.join(bronzeRoot, "reddit", id)) &&
          Fs.readdirSync(Path.join(bronzeRoot, "reddit", id)).some((f) => f.startsWith(prefix))

        const fetch = yield* Medallion.spawn({ args: args("fetch"), env })
        yield* Medallion.within(
          "the fetch daemon to store the threads, the morechildren answer and the failure records",
          Effect.sync(
            () =>
              stored("testpost", "thread@") &&
              stored("123", "more-1@") &&
              stored("agi5zf", "fetch-error@") &&
              stored("hyhquk", "fetch-error@")
          ),
          fetch.output
        )
        yield* fetch.kill("SIGTERM")
        yield* fetch.exited

        const transform = yield* Medallion.spawn({ args: args("transform"), env })
        const reddit = Effect.map(Silver.items(sql), (rows) => rows.filter((r) => r.sourceType === "reddit"))
        yield* Medallion.within(
          "the transform daemon to write the four threads",
          Effect.map(reddit, (rows) => rows.length === 4 && rows.every((r) => r.transformStatus !== "pending")),
          transform.output
        )
        yield* transform.kill("SIGTERM")
        yield* transform.exited

        const rows = new Map((yield* reddit).map((r) => [r.externalId, r]))
        assert.strictEqual(rows.get("testpost")?.title, "Test")
        assert.strictEqual(rows.get("testpost")?.transformStatus, "transformed")
        assert.strictEqual(rows.get("123")?.transformStatus, "transformed")
        assert.strictEqual(rows.get("agi5zf")?.fetchStatus, "failed")
        assert.include(rows.get("agi5zf")?.fetchError ?? "", "invalid-response: Reddit thread")
        assert.strictEqual(rows.get("hyhquk")?.fetchStatus, "failed")
        assert.include(rows.get("hyhquk")?.fetchError ?? "", "truncated")
        assert.deepStrictEqual(yield* Silver.commentIds(sql, "reddit", "testpost"), ["testc1", "testc2"])
        assert.deepStrictEqual(yield* Silver.commentIds(sql, "reddit", "123"), [
          "abc",
          "def",
          "del",
          "ghi",
          "jkl",
          "rem",
          "rpl"
        ])
        const gone = yield* sql<{ readonly externalId: string; readonly author: string; readonly bodyText: string }>`
          select c.external_id, c.author, c.body_text from comments c join items i on i.id = c.item_id
          where i.source_type = 'reddit' and c.deleted order by 1`
        assert.deepStrictEqual(
          gone.map((c) => [c.externalId, c.author, c.bodyText]),
          [
            ["del", "[deleted]", "[deleted]"],
            ["rem", "[deleted]", "[removed]"]
          ]
        )

        const status = yield* Medallion.run({ args: args("status"), env })
        assert.include(status.stdout, "agi5zf")
        assert.notInclude(status.stdout, "have no transform")
      }).pipe(Effect.scoped),
    300_000
  )
})
