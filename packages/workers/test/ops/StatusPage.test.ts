/**
 * The status page's routes on a real loopback server: the page and its files (under a content
 * security policy), /status.json (its sections, the reason when a report fails, the time bound),
 * one report per refresh for any number of readers, server-sent updates, the validated search, and
 * the loopback-only answer to a foreign `Host`.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { NodeHttpServer, NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import * as StatusPage from "../../src/ops/StatusPage.ts"

const PACKAGE = Path.resolve(import.meta.dirname, "..", "..")

/** Serves the page's routes on a free loopback port for the test's scope; returns its base URL. */
const serve = (options: Omit<StatusPage.StatusPageOptions, "host" | "daemon"> & { readonly daemon?: string }) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      HttpRouter.serve(StatusPage.routes({ daemon: "test", host: "127.0.0.1", ...options }), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(
        Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { host: "127.0.0.1", port: 0 })),
        Layer.provide(NodeServices.layer)
      )
    )
    return HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  })

/** A GET that gives up after 15 seconds, saying so, rather than leaving it to the test's timeout. */
const get = (url: string) =>
  Effect.promise(async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(15_000) })
      return { status: response.status, headers: response.headers, text: await response.text() }
    } catch (error) {
      throw new Error(`GET ${url}: no complete answer within 15 s (${String(error)})`)
    }
  })

const getJson = (url: string) =>
  Effect.map(get(url), (response) => ({ ...response, body: JSON.parse(response.text) as Record<string, unknown> }))

/** Reads server-sent events until `count` of them arrived (or the deadline passed: then it says what it got). */
const readEvents = (url: string, count: number, deadline = Duration.seconds(20)) =>
  Effect.promise(async () => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), Duration.toMillis(deadline))
    const events: Array<{ event: string; data: unknown }> = []
    let buffer = ""
    try {
      const response = await fetch(url, { signal: controller.signal })
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      while (events.length < count) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) })
        }
      }
    } catch {
      // The deadline: the assertion below reports what arrived.
    } finally {
      clearTimeout(timer)
      controller.abort()
    }
    return events
  })

describe("StatusPage", () => {
  it.live("serves the page, its script and style sheet, each under a content security policy", () =>
    Effect.gen(function* () {
      const base = yield* serve({ source: { sections: Effect.succeed({}) } })
      const page = yield* get(`${base}/`)
      assert.strictEqual(page.status, 200)
      assert.include(page.headers.get("content-type") ?? "", "text/html")
      assert.include(page.text, '<script type="module" src="/assets/status.js">')
      for (const response of [page, yield* get(`${base}/assets/status.js`), yield* get(`${base}/assets/status.css`)]) {
        assert.include(response.headers.get("content-security-policy") ?? "", "script-src 'self'")
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff")
      }
      assert.include((yield* get(`${base}/assets/status.js`)).headers.get("content-type") ?? "", "text/javascript")
      assert.include((yield* get(`${base}/assets/status.css`)).headers.get("content-type") ?? "", "text/css")
    })
  )

  it.live("status.json holds the daemon's sections; a failed report answers 503 with its reason", () =>
    Effect.gen(function* () {
      let failing = false
      const base = yield* serve({
        daemon: "transform",
        refreshEvery: 0,
        source: {
          sections: Effect.suspend(() =>
            failing ? Effect.fail(new Error("database unreachable")) : Effect.succeed({ status: { items: 3 } })
          ),
          search: () => Effect.succeed([])
        }
      })
      const ok = yield* getJson(`${base}/status.json`)
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.body["daemon"], "transform")
      assert.strictEqual(ok.body["search"], true)
      assert.deepStrictEqual(ok.body["status"], { items: 3 })
      assert.isFalse(Number.isNaN(Date.parse(String(ok.body["generatedAt"]))))
      assert.strictEqual(ok.headers.get("cache-control"), "no-store")

      failing = true
      const failed = yield* getJson(`${base}/status.json`)
      assert.strictEqual(failed.status, 503)
      assert.strictEqual(failed.body["error"], "database unreachable")
    })
  )

  it.live("a report that hangs is given up after the timeout, with a reason", () =>
    Effect.gen(function* () {
      const base = yield* serve({ timeout: "200 millis", source: { sections: Effect.never } })
      const response = yield* getJson(`${base}/status.json`)
      assert.strictEqual(response.status, 503)
      assert.include(String(response.body["error"]), "took longer than")
    })
  )

  it.live("readers within one refresh share one report", () =>
    Effect.gen(function* () {
      let built = 0
      const base = yield* serve({
        refreshEvery: "1 minute",
        source: { sections: Effect.sync(() => ({ built: ++built })).pipe(Effect.delay("50 millis")) }
      })
      const responses = yield* Effect.all(
        Array.from({ length: 5 }, () => getJson(`${base}/status.json`)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        responses.map((r) => r.body["built"]),
        [1, 1, 1, 1, 1]
      )
      assert.strictEqual(built, 1)
    })
  )

  it.live("events: the document, a checked event while nothing changes, the new document once it changed", () =>
    Effect.gen(function* () {
      let items = 1
      let built = 0
      const base = yield* serve({
        refreshEvery: "100 millis",
        source: {
          sections: Effect.sync(() => {
            built++
            // The third report onwards sees a new item.
            if (built === 3) items = 2
            return { items }
          })
        }
      })
      const events = yield* readEvents(`${base}/status/events`, 3)
      assert.deepStrictEqual(
        events.map((e) => [e.event, (e.data as Record<string, unknown>)["items"]]),
        [
          ["status", 1],
          ["checked", undefined],
          ["status", 2]
        ],
        JSON.stringify(events)
      )
      assert.isString((events[1]!.data as Record<string, unknown>)["generatedAt"])
    })
  )

  it.live("search: the query is validated, then answered by the source; a daemon without search says so", () =>
    Effect.gen(function* () {
      const asked: Array<StatusPage.SearchRequest> = []
      const base = yield* serve({
        source: {
          sections: Effect.succeed({}),
          search: (request) => Effect.sync(() => (asked.push(request), [{ title: "found" }]))
        }
      })
      for (const bad of [
        "",
        "?q=",
        "?q=x&limit=500",
        "?q=x&limit=two",
        "?q=x&source=Not%20A%20Source",
        `?q=${"x".repeat(201)}`
      ]) {
        const response = yield* getJson(`${base}/status/search${bad}`)
        assert.strictEqual(response.status, 400, bad)
        assert.include(String(response.body["error"]), "q must be")
      }
      assert.deepStrictEqual(asked, [])
      const found = yield* getJson(
        `${base}/status/search?q=${encodeURIComponent("<b>country</b>")}&source=feed&limit=5`
      )
      assert.strictEqual(found.status, 200)
      assert.deepStrictEqual(found.body, { query: "<b>country</b>", hits: [{ title: "found" }] })
      assert.deepStrictEqual(asked, [{ text: "<b>country</b>", sourceType: "feed", limit: 5 }])

      const none = yield* serve({ daemon: "fetch", source: { sections: Effect.succeed({}) } })
      const missing = yield* getJson(`${none}/status/search?q=x`)
      assert.strictEqual(missing.status, 404)
      assert.strictEqual((yield* getJson(`${none}/status.json`)).body["search"], false)
    })
  )

  it.live("on a loopback address it answers loopback names only (a rebound foreign name gets 421)", () =>
    Effect.gen(function* () {
      const base = yield* serve({ source: { sections: Effect.succeed({ secret: "titles" }) } })
      const port = Number(new URL(base).port)
      const withHost = (host: string, path: string) =>
        Effect.promise(
          () =>
            new Promise<{ status: number; body: string }>((resolve, reject) => {
              const request = Http.get({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
                let body = ""
                response.on("data", (chunk: Buffer) => (body += String(chunk)))
                response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
              })
              request.on("error", reject)
            })
        )
      for (const path of ["/", "/status.json", "/status/events", "/status/search?q=x", "/assets/status.js"]) {
        const foreign = yield* withHost(`attacker.example:${port}`, path)
        assert.strictEqual(foreign.status, 421, path)
        assert.notInclude(foreign.body, "titles")
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        assert.strictEqual((yield* withHost(host, "/status.json")).status, 200, host)
      }
      assert.isTrue(StatusPage.isLoopback("127.0.0.1"))
      assert.isFalse(StatusPage.isLoopback("0.0.0.0"))
    })
  )

  it("finds the page's files beside the sources and beside the build, and ships them in the package", () => {
    const fromSource = StatusPage.assetsDirectory(pathToFileURL(Path.join(PACKAGE, "src", "ops", "StatusPage.ts")).href)
    const fromBuild = StatusPage.assetsDirectory(pathToFileURL(Path.join(PACKAGE, "dist", "ops", "StatusPage.js")).href)
    assert.strictEqual(fromSource, fromBuild)
    assert.strictEqual(StatusPage.assetsDirectory(), fromSource)
    for (const name of Object.keys(StatusPage.ASSETS)) assert.isTrue(Fs.existsSync(Path.join(fromSource, name)), name)
    const manifest = JSON.parse(Fs.readFileSync(Path.join(PACKAGE, "package.json"), "utf8")) as {
      readonly files: ReadonlyArray<string>
    }
    assert.include(manifest.files, "assets")
  })
})
