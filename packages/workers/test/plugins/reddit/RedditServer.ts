/**
 * Reddit's public JSON endpoints on loopback, answering with the captured data of `test/fixtures/reddit/`
 * (see its SOURCES.md; the captures the fixture server serves too are kept once, in
 * `test/fixtures/server/reddit/`): `/r/<name>/new.json`, `/comments/<id>.json`, `/api/morechildren.json`,
 * and `/robots.txt` (404: no rules, unless `robots` gives its text). Every request is recorded.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { Context, Effect, Layer } from "effect"
import { fixturesDir } from "../../../src/testing/FixtureServer.ts"
import { testFixturesDir } from "../../support/Fixtures.ts"

/** The captures the fixture server (the offline demo's) serves as well, in its folder. */
const SERVED = new Set(["post_post.json", "post_more.json", "thread_123_derived.json"])

const file = (name: string): Buffer =>
  Fs.readFileSync(Path.join(SERVED.has(name) ? fixturesDir : testFixturesDir, "reddit", name))

export const listings: Readonly<Record<string, string>> = {
  test: "subreddit_posts.json",
  mixed: "listings_posts-comments-subreddits.json"
}

export const threads: Readonly<Record<string, string>> = {
  testpost: "post_post.json",
  "123": "thread_123_derived.json",
  // What the listing of r/test names, answered wrongly: a listing where a thread belongs, and a cut-short thread.
  agi5zf: "subreddit_posts.json",
  hyhquk: "post_post_truncated.json"
}

/** The morechildren answers, by the post and the first comment id asked for. */
export const moreChildren: Readonly<Record<string, string>> = { "t3_123 def": "post_more.json" }

export interface RedditServerOptions {
  readonly robots?: string | undefined
  /** A fixture to answer every morechildren request with instead (an answer of the wrong shape). */
  readonly moreChildren?: string | undefined
}

export class RedditServer extends Context.Service<
  RedditServer,
  { readonly url: string; readonly requests: () => ReadonlyArray<URL> }
>()("test/RedditServer") {
  static readonly layer = (options: RedditServerOptions = {}) =>
    Layer.effect(
      RedditServer,
      Effect.acquireRelease(
        Effect.callback<{ readonly server: Http.Server; readonly url: string; readonly seen: Array<URL> }>((resume) => {
          const seen: Array<URL> = []
          const server = Http.createServer((request, response) => {
            const url = new URL(request.url ?? "/", "http://127.0.0.1")
            seen.push(url)
            const json = (name: string | undefined) =>
              name === undefined
                ? response
                    .writeHead(404, { "content-type": "application/json" })
                    .end('{"message": "Not Found", "error": 404}')
                : response.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(file(name))
            if (url.pathname === "/robots.txt") {
              if (options.robots === undefined) response.writeHead(404).end()
              else response.writeHead(200, { "content-type": "text/plain" }).end(options.robots)
              return
            }
            const listing = /^\/r\/([^/]+)\/new\.json$/.exec(url.pathname)
            if (listing !== null) return json(listings[listing[1]!])
            const thread = /^\/comments\/([^/]+)\.json$/.exec(url.pathname)
            if (thread !== null) return json(threads[thread[1]!])
            if (url.pathname === "/api/morechildren.json") {
              const first = (url.searchParams.get("children") ?? "").split(",")[0]
              return json(options.moreChildren ?? moreChildren[`${url.searchParams.get("link_id")} ${first}`])
            }
            json(undefined)
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number }
            resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}`, seen }))
          })
        }),
        ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
      ).pipe(Effect.map(({ url, seen }) => ({ url, requests: () => [...seen] })))
    )
}
