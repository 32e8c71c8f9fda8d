/**
 * One loopback HTTP server that plays every outside service the fetch side
 * talks to, serving real captured data (see `test/fixtures/server/SOURCES.md`): a Hacker
 * News-shaped API, article pages, feeds, a podcast feed whose enclosures are
 * the JFK speech clip, a sitemap and robots.txt, a Whisper-compatible
 * `/v1/audio/transcriptions`, an OpenAI-compatible `/v1/chat/completions`, Reddit's
 * thread JSON and `/api/morechildren.json`, and the YouTube Data API v3 (`/youtube/v3/videos`,
 * `/youtube/v3/commentThreads`).
 * Under `/fault/` it misbehaves on purpose: slow heads, stalled bodies, 429/503
 * with `Retry-After`, 500s, connection resets, redirects (to private addresses
 * too), endless and oversized bodies.
 *
 * Tests start it with `FixtureServer.layer()`; the offline demo uses the same
 * layer. It binds 127.0.0.1 on a free port, so the fetcher must allow that
 * address explicitly (`addressPolicy: { allow: ["127.0.0.1/32"] }`).
 */
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Context, Effect, Layer } from "effect"

/** The captured data it serves: `test/fixtures/server/` (the same path from `src/testing/` and `dist/testing/`). */
export const fixturesDir = Path.join(
  Path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "test",
  "fixtures",
  "server"
)

const read = (relative: string): Buffer => Fs.readFileSync(Path.join(fixturesDir, relative))

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
}

export interface FixtureServerOptions {
  /** When set, the Whisper and chat endpoints answer 401 without `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined
  /** Extra or replacement HN items by id, served as `JSON.stringify(value)` with `{{base}}` replaced by the server's URL. */
  readonly hnItems?: Readonly<Record<number, unknown>> | undefined
  /** HN item bodies served exactly as given (e.g. malformed JSON), by id. */
  readonly hnRaw?: Readonly<Record<number, string>> | undefined
  /** The ids `/v0/topstories.json` lists (default: the stories of the bundled data). */
  readonly topStories?: ReadonlyArray<number> | undefined
  /**
   * Point each served HN story's `url` at one of this server's article pages, so an
   * offline run fetches real pages (default true). The served item is then not
   * byte-identical to the captured one; with `false` it is.
   */
  readonly rewriteHnUrls?: boolean | undefined
  /** When set, `/robots.txt` answers with this status (e.g. 503) instead of its rules. */
  readonly robotsStatus?: number | undefined
  /**
   * Serve each bundled HN item with only the `kids` this server has (default false: as captured, whose
   * comments are not bundled, so a client asking for them meets `null`). The demo sets it, so that what
   * it asks for is what it is served.
   */
  readonly servedKidsOnly?: boolean | undefined
  /**
   * The port to listen on when it is free (default: any free port). The demo asks for the same one each
   * time: a feed item's id holds its feed's URL, so a server on another port would bring the same
   * episodes in again as new items.
   */
  readonly preferredPort?: number | undefined
}

export const articleNames = [
  "daringfireball-1",
  "dev418",
  "v8-blog",
  "tumblr",
  "la-nacion",
  "liberation-1",
  "ietf-1",
  "simplyfound-1"
] as const

const hnFiles = [
  "8863_story_apidocs.json",
  "121003_story_apidocs.json",
  "2921983_comment_apidocs.json",
  "126809_poll_apidocs.json",
  "160705_pollopt_apidocs.json",
  "192327_job_apidocs.json"
]

interface HnEntry {
  readonly id: number
  readonly body: Buffer
  readonly json: Record<string, unknown>
}

const loadHn = (): Map<number, HnEntry> => {
  const items = new Map<number, HnEntry>()
  for (const file of hnFiles) {
    const body = read(`hn/${file}`)
    const json = JSON.parse(body.toString("utf8")) as Record<string, unknown>
    items.set(json["id"] as number, { id: json["id"] as number, body, json })
  }
  const list = JSON.parse(read("hn/hntitlenator_showstories_full_items.json").toString("utf8")) as Array<
    Record<string, unknown>
  >
  for (const json of list) {
    items.set(json["id"] as number, { id: json["id"] as number, body: Buffer.from(JSON.stringify(json)), json })
  }
  return items
}

/** The Reddit threads it has, by id (`/comments/<id>.json`), and the morechildren answers, by post and first comment. */
export const redditThreads: Readonly<Record<string, string>> = {
  "123": "thread_123_derived.json",
  testpost: "post_post.json"
}
const redditMoreChildren: Readonly<Record<string, string>> = { "t3_123 def": "post_more.json" }

/**
 * Comments it has no capture of (such as the stub at the end of `post_more.json`), asked of morechildren:
 * the captured answers' shape with no things, so that a client expanding every stub comes to an end.
 */
const redditNoChildren = Buffer.from('{"json": {"errors": [], "data": {"things": []}}}')

/** The YouTube videos it has, by id: the `videos.list` answer and the `commentThreads.list` pages, in order. */
export const youtubeVideos: Readonly<
  Record<string, { readonly video: string; readonly commentPages: ReadonlyArray<string> }>
> = {
  "D-lhorsDlUQ": { video: "videos_info_single.json", commentPages: ["comment_threads_multi.json"] },
  F1UP7wRCPH8: {
    video: "videos_F1UP7wRCPH8_derived.json",
    commentPages: ["comment_threads_by_video_paged_1.json", "comment_threads_by_video_paged_2.json"]
  },
  JE8xdDp5B8Q: { video: "videos_JE8xdDp5B8Q_derived.json", commentPages: ["comment_threads_replies_derived.json"] }
}

/** Each comment page by `<video id> <page token>`: `""` for the first, then the page before's `nextPageToken`. */
const loadYoutubePages = (): Map<string, string> => {
  const pages = new Map<string, string>()
  for (const [id, { commentPages }] of Object.entries(youtubeVideos)) {
    let token = ""
    for (const page of commentPages) {
      pages.set(`${id} ${token}`, page)
      const json = JSON.parse(read(`youtube/${page}`).toString("utf8")) as { nextPageToken?: string }
      token = json.nextPageToken ?? ""
    }
  }
  return pages
}

const etagOf = (body: Buffer): string => `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`

/** A podcast feed written for the fixtures: two episodes whose enclosures are this server's JFK clip. */
const podcastFeed = (base: string): Buffer =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
  <channel>
    <title>Medallion fixture podcast</title>
    <link>${base}/</link>
    <description>Public-domain speech clips served by the fixture server.</description>
    <language>en-us</language>
    <item>
      <title>Inaugural address excerpt (WAV)</title>
      <guid isPermaLink="false">fixture-podcast-jfk-wav</guid>
      <link>${base}/articles/v8-blog.html</link>
      <pubDate>Fri, 20 Jan 1961 17:00:00 GMT</pubDate>
      <enclosure url="${base}/media/jfk.wav" length="352078" type="audio/wav"/>
    </item>
    <item>
      <title>Inaugural address excerpt (MP3)</title>
      <guid isPermaLink="false">fixture-podcast-jfk-mp3</guid>
      <pubDate>Fri, 20 Jan 1961 17:05:00 GMT</pubDate>
      <itunes:author>John F. Kennedy</itunes:author>
      <category>History</category>
      <description><![CDATA[<p>Show notes: the closing lines of the inaugural address, read from the
        <a href="https://www.archives.gov/">National Archives</a> recording.</p>]]></description>
      <enclosure url="${base}/media/jfk.mp3" length="76447" type="audio/mpeg"/>
    </item>
  </channel>
</rss>
`)

const sitemap = (base: string): Buffer =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${articleNames
  .slice(0, 4)
  .map((n) => `  <url><loc>${base}/articles/${n}.html</loc></url>`)
  .join("\n")}
  <url><loc>${base}/private/secret.html</loc></url>
</urlset>
`)

const robots = Buffer.from("User-agent: *\nDisallow: /private/\n")

const feedTypes: Record<string, string> = {
  ".rss": "application/rss+xml",
  ".atom": "application/atom+xml",
  ".xml": "application/xml"
}

export class FixtureServer extends Context.Service<
  FixtureServer,
  {
    /** `http://127.0.0.1:<port>` */
    readonly url: string
    readonly port: number
    /** How many requests reached a path (without the query). */
    readonly hits: (path: string) => number
    /** Every request received, in order. */
    readonly requests: () => ReadonlyArray<RecordedRequest>
    /** The most requests to one path that were in progress at the same time. */
    readonly maxInFlight: (path: string) => number
  }
>()("@medallion/workers/testing/FixtureServer") {
  static readonly layer = (options: FixtureServerOptions = {}) => Layer.effect(FixtureServer, make(options))
}

const make = (options: FixtureServerOptions) =>
  Effect.gen(function* () {
    const hn = loadHn()
    const youtubePages = loadYoutubePages()
    const counters = new Map<string, number>()
    const requests: Array<RecordedRequest> = []
    const inFlight = new Map<string, number>()
    const peak = new Map<string, number>()
    const sockets = new Set<import("node:net").Socket>()
    let base = ""

    const topStories =
      options.topStories ??
      [...hn.values()].filter((e) => e.json["type"] === "story" && typeof e.json["url"] === "string").map((e) => e.id)

    const itemBody = (id: number): Buffer | undefined => {
      if (options.hnRaw?.[id] !== undefined) return Buffer.from(options.hnRaw[id])
      if (options.hnItems?.[id] !== undefined)
        return Buffer.from(JSON.stringify(options.hnItems[id]).replaceAll("{{base}}", base))
      const entry = hn.get(id)
      if (entry === undefined) return undefined
      const kids = entry.json["kids"]
      const trimKids = options.servedKidsOnly === true && Array.isArray(kids)
      const rewriteUrl = options.rewriteHnUrls !== false && typeof entry.json["url"] === "string"
      if (!trimKids && !rewriteUrl) return entry.body
      const json = { ...entry.json }
      if (trimKids) json["kids"] = kids.filter((kid) => hn.has(kid as number))
      if (rewriteUrl) json["url"] = `${base}/articles/${articleNames[id % articleNames.length]!}.html`
      return Buffer.from(JSON.stringify(json))
    }

    const send = (
      res: Http.ServerResponse,
      status: number,
      body: Buffer | string,
      headers: Record<string, string> = {}
    ) => {
      const bytes = typeof body === "string" ? Buffer.from(body) : body
      res.writeHead(status, { "content-length": String(bytes.length), ...headers })
      res.end(bytes)
    }

    const sendDocument = (req: Http.IncomingMessage, res: Http.ServerResponse, body: Buffer, contentType: string) => {
      const etag = etagOf(body)
      const lastModified = "Mon, 02 Mar 2026 10:00:00 GMT"
      if (req.headers["if-none-match"] === etag || req.headers["if-modified-since"] === lastModified) {
        res.writeHead(304, { etag, "last-modified": lastModified })
        res.end()
        return
      }
      send(res, 200, body, { "content-type": contentType, etag, "last-modified": lastModified })
    }

    const readBody = (req: Http.IncomingMessage): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => resolve(Buffer.concat(chunks)))
        req.on("error", reject)
      })

    const authorized = (req: Http.IncomingMessage) =>
      options.apiKey === undefined || req.headers["authorization"] === `Bearer ${options.apiKey}`

    const count = (key: string): number => {
      const n = (counters.get(key) ?? 0) + 1
      counters.set(key, n)
      return n
    }

    const handle = async (req: Http.IncomingMessage, res: Http.ServerResponse) => {
      const url = new URL(req.url ?? "/", base)
      const path = url.pathname
      requests.push({ method: req.method ?? "GET", path, headers: { ...req.headers } })
      const n = count(path)
      const q = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback)

      // Hacker News-shaped API
      const list = /^\/v0\/(topstories|newstories|beststories)\.json$/.exec(path)
      if (list) return send(res, 200, JSON.stringify(topStories), { "content-type": "application/json; charset=utf-8" })
      const item = /^\/v0\/item\/(\d+)\.json$/.exec(path)
      if (item) {
        const body = itemBody(Number(item[1]))
        // Firebase answers `null` for an id it does not have.
        return send(res, 200, body ?? "null", { "content-type": "application/json; charset=utf-8" })
      }

      // Pages, feeds, media, crawl files
      const article = /^\/articles\/([a-z0-9-]+)\.html$/.exec(path)
      if (article && (articleNames as ReadonlyArray<string>).includes(article[1]!)) {
        return sendDocument(req, res, read(`html/${article[1]}.html`), "text/html")
      }
      if (path.startsWith("/private/"))
        return send(res, 200, "<html><body><p>not for crawlers</p></body></html>", { "content-type": "text/html" })
      const feed = /^\/feeds\/([a-z0-9-]+\.(?:rss|atom|xml))$/.exec(path)
      if (feed && Fs.existsSync(Path.join(fixturesDir, "feeds", feed[1]!))) {
        return sendDocument(req, res, read(`feeds/${feed[1]}`), feedTypes[Path.extname(feed[1]!)]!)
      }
      if (path === "/podcast.xml") return sendDocument(req, res, podcastFeed(base), "application/rss+xml")
      if (path === "/sitemap.xml") return sendDocument(req, res, sitemap(base), "application/xml")
      if (path === "/robots.txt") {
        if (options.robotsStatus !== undefined) return send(res, options.robotsStatus, `status ${options.robotsStatus}`)
        return send(res, 200, robots, { "content-type": "text/plain" })
      }
      if (path === "/media/jfk.wav") return send(res, 200, read("whisper/jfk.wav"), { "content-type": "audio/wav" })
      if (path === "/media/jfk.mp3") return send(res, 200, read("whisper/jfk.mp3"), { "content-type": "audio/mpeg" })

      // OpenAI-compatible endpoints
      if (path === "/v1/audio/transcriptions" && req.method === "POST") {
        if (!authorized(req))
          return send(res, 401, JSON.stringify({ error: { message: "Incorrect API key provided" } }))
        const body = await readBody(req)
        const form = await new Response(body, { headers: { "content-type": req.headers["content-type"] ?? "" } })
          .formData()
          .catch(() => undefined)
        const file = form?.get("file")
        if (form === undefined || file === null || typeof file === "string" || form.get("model") === null) {
          return send(
            res,
            400,
            JSON.stringify({ error: { message: "multipart form with `file` and `model` required" } })
          )
        }
        return send(res, 200, read("whisper/openai-whisper_commit1caba7d_jfk.json"), {
          "content-type": "application/json"
        })
      }
      if (path === "/v1/chat/completions" && req.method === "POST") {
        if (!authorized(req))
          return send(res, 401, JSON.stringify({ error: { message: "Incorrect API key provided" } }))
        const body = await readBody(req)
        let messages: unknown
        try {
          messages = (JSON.parse(body.toString("utf8")) as { messages?: unknown }).messages
        } catch {
          messages = undefined
        }
        if (!Array.isArray(messages))
          return send(res, 400, JSON.stringify({ error: { message: "`messages` required" } }))
        return send(res, 200, read("openai/pydantic-ai_test_valid_response_resp0.json"), {
          "content-type": "application/json"
        })
      }

      // Reddit's JSON endpoints (at the root, as on www.reddit.com)
      const thread = /^\/comments\/([a-z0-9]+)\.json$/.exec(path)
      if (thread) {
        const file = redditThreads[thread[1]!]
        return file === undefined
          ? send(res, 404, '{"message": "Not Found", "error": 404}', { "content-type": "application/json" })
          : send(res, 200, read(`reddit/${file}`), { "content-type": "application/json; charset=UTF-8" })
      }
      if (path === "/api/morechildren.json") {
        const first = (url.searchParams.get("children") ?? "").split(",")[0]
        const file = redditMoreChildren[`${url.searchParams.get("link_id")} ${first}`]
        return send(res, 200, file === undefined ? redditNoChildren : read(`reddit/${file}`), {
          "content-type": "application/json; charset=UTF-8"
        })
      }

      // The YouTube Data API v3 (under `/youtube/v3`, as on www.googleapis.com): any key, but one is required
      if (path === "/youtube/v3/videos" || path === "/youtube/v3/commentThreads") {
        const json = { "content-type": "application/json; charset=UTF-8" }
        const key = req.headers["x-goog-api-key"]
        if (typeof key !== "string" || key.length === 0)
          return send(res, 400, read("youtube/error_response.json"), json)
        const file =
          path === "/youtube/v3/videos"
            ? youtubeVideos[url.searchParams.get("id") ?? ""]?.video
            : youtubePages.get(`${url.searchParams.get("videoId")} ${url.searchParams.get("pageToken") ?? ""}`)
        return file === undefined
          ? send(res, 404, '{"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}', json)
          : send(res, 200, read(`youtube/${file}`), json)
      }

      // Faults
      if (path === "/fault/slow" || path.startsWith("/fault/slow/")) {
        await new Promise((r) => setTimeout(r, q("ms", 5000)))
        return send(res, 200, "slow but here")
      }
      if (path === "/fault/stall-body") {
        res.writeHead(200, { "content-type": "text/plain" })
        res.write("first bytes...")
        return // never ends: the client's timeout must cut it
      }
      const status = /^\/fault\/status\/(\d{3})(?:\/.*)?$/.exec(path)
      if (status) {
        const times = q("times", Number.POSITIVE_INFINITY)
        if (n <= times) {
          const headers: Record<string, string> = {}
          if (url.searchParams.has("retryAfter")) headers["retry-after"] = url.searchParams.get("retryAfter")!
          return send(res, Number(status[1]), `status ${status[1]}, request ${n}`, headers)
        }
        return send(res, 200, `ok after ${n - 1} failures`, { "content-type": "text/plain" })
      }
      if (path === "/fault/reset") {
        if (n <= q("times", Number.POSITIVE_INFINITY)) {
          req.socket.destroy()
          return
        }
        return send(res, 200, "ok after resets")
      }
      if (path === "/fault/redirect") {
        res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: url.searchParams.get("to") ?? "/" })
        return res.end()
      }
      const chain = /^\/fault\/redirect-chain\/(\d+)$/.exec(path)
      if (chain) {
        const left = Number(chain[1])
        if (left === 0) return send(res, 200, "end of chain")
        res.writeHead(301, { location: `/fault/redirect-chain/${left - 1}` })
        return res.end()
      }
      if (path === "/fault/endless") {
        res.writeHead(200, { "content-type": "application/octet-stream" })
        const chunk = Buffer.alloc(64 * 1024, 120)
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {
            // keep writing until the socket pushes back
          }
          if (!res.destroyed) res.once("drain", pump)
        }
        res.on("close", () => res.removeAllListeners("drain"))
        return pump()
      }
      if (path === "/fault/big") {
        const bytes = q("bytes", 1024 * 1024)
        const headers: Record<string, string> = { "content-type": "text/html" }
        if (url.searchParams.get("declare") !== "false") headers["content-length"] = String(bytes)
        res.writeHead(200, headers)
        return res.end(Buffer.alloc(bytes, 97))
      }
      if (path === "/fault/truncated") {
        res.writeHead(200, { "content-length": "1000", "content-type": "application/json" })
        res.write('{"id": 1, "ty')
        setTimeout(() => req.socket.destroy(), 20)
        return
      }
      return send(res, 404, "not found", { "content-type": "text/plain" })
    }

    const server = Http.createServer((req, res) => {
      const path = new URL(req.url ?? "/", base).pathname
      const now = (inFlight.get(path) ?? 0) + 1
      inFlight.set(path, now)
      peak.set(path, Math.max(peak.get(path) ?? 0, now))
      res.on("close", () => inFlight.set(path, (inFlight.get(path) ?? 1) - 1))
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, String(error))
        else res.destroy()
      })
    })
    server.on("connection", (socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })

    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        const listening = () => resume(Effect.succeed((server.address() as AddressInfo).port))
        const anyPort = () => {
          server.listen(0, "127.0.0.1", listening)
        }
        if (options.preferredPort === undefined) return anyPort()
        // Taken (another demo, another program): any free port, as without a preference.
        server.once("error", anyPort)
        server.listen(options.preferredPort, "127.0.0.1", () => {
          server.off("error", anyPort)
          listening()
        })
      }),
      () =>
        Effect.callback<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    base = `http://127.0.0.1:${port}`

    return FixtureServer.of({
      url: base,
      port,
      hits: (p) => counters.get(p) ?? 0,
      requests: () => [...requests],
      maxInFlight: (p) => peak.get(p) ?? 0
    })
  })
