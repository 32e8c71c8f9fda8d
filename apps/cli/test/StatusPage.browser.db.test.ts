/// <reference lib="dom" />
/**
 * The status page in a real browser: `medallion start` on a fresh database ingests the fixture
 * server, and Debian's chromium (driven by playwright-core) opens both daemons' pages. The transform
 * daemon's page shows what silver holds (counts per source and status, the lag, each sensor's
 * cursor and ticks, the throughput chart), its search box finds an item, and an item written while
 * the page is open appears without a reload, its hostile title and reason shown as text. The fetch
 * daemon's page shows its sources with their last runs. Screenshots of both are saved under
 * `test-results/status-page/` (gitignored). A second test serves the page from a made-up source: a
 * field or a section the page has no layout for is shown all the same, and a failed report says why.
 *
 * Without chromium the test is skipped with a message, except under CI (`CI` set), where it fails.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Http from "node:http"
import { NodeHttpServer, NodeServices } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { ItemRepo, SilverDatabase } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { StatusPage } from "@medallion/workers/ops"
import { FixtureServer } from "@medallion/workers/testing"
import { Context, Duration, Effect, Layer, Option, Redacted, Schedule, String as Str } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import * as Reactivity from "effect/reactivity/Reactivity"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import * as Medallion from "./support/Medallion.ts"
import * as Scenario from "./support/Scenario.ts"
import * as Silver from "./support/Silver.ts"

const CHROMIUM = process.env["MEDALLION_TEST_CHROMIUM"] ?? "/usr/bin/chromium"
const HAS_CHROMIUM = Fs.existsSync(CHROMIUM)
const UNDER_CI = process.env["CI"] !== undefined && process.env["CI"] !== ""
const SKIP = !HAS_CHROMIUM && !UNDER_CI
if (SKIP) {
  console.warn(
    `status page browser test skipped: no chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium, ` +
      "or set MEDALLION_TEST_CHROMIUM); under CI it fails instead"
  )
}

const SCREENSHOTS = Path.resolve(import.meta.dirname, "..", "..", "..", "test-results", "status-page")

/** Flags for root, no GPU and a network with nothing outside loopback. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Chromium on a fresh profile, closed with the scope. */
const browser = Effect.acquireRelease(
  Effect.gen(function* () {
    const profile = yield* Medallion.tempDir("medallion-chromium-")
    return yield* Effect.promise(() =>
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1360, height: 900 },
        timeout: 60_000
      })
    )
  }),
  (context) => Effect.promise(() => context.close())
)

const open = (context: BrowserContext, url: string) =>
  Effect.promise(async () => {
    const page = await context.newPage()
    const errors: Array<string> = []
    page.on("pageerror", (error) => errors.push(error.message))
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text())
    })
    await page.goto(url)
    return { page, errors }
  })

/**
 * Evaluates `read` in the page (with `arg`) until `done` holds; past the deadline it fails with the
 * last value read.
 */
const waitFor = <A, Arg>(
  page: Page,
  what: string,
  read: (arg: Arg) => A,
  done: (value: A) => boolean,
  arg: Arg,
  deadline: Duration.Input = "60 seconds"
) =>
  Effect.gen(function* () {
    let last: A | undefined
    const result = yield* Effect.promise(() => page.evaluate(read as (arg: unknown) => A, arg as unknown)).pipe(
      Effect.tap((value) => Effect.sync(() => (last = value))),
      Effect.repeat({ until: done, schedule: Schedule.spaced("200 millis") }),
      Effect.timeoutOption(deadline)
    )
    if (Option.isNone(result))
      return assert.fail(
        `${what}: still ${JSON.stringify(last)} after ${Duration.format(Duration.fromInputUnsafe(deadline))}`
      )
    return result.value
  })

/** The address each daemon logs for its page. */
const pageUrl = (start: Medallion.MedallionProcess, daemon: "fetch" | "transform") => {
  const pattern = new RegExp(`${daemon} daemon: status page on (http://127\\.0\\.0\\.1:\\d+)/`)
  return Medallion.until(Effect.sync(() => start.exit() !== undefined || pattern.test(start.output()))).pipe(
    Effect.map(() => {
      const match = pattern.exec(start.output())
      return match === null
        ? assert.fail(`no status page address from the ${daemon} daemon:\n${start.output()}`)
        : match[1]!
    })
  )
}

/** Silver's repository on the test's database, to write an item as a transform would. */
const itemRepo = (url: Redacted.Redacted<string>) =>
  Effect.map(
    Layer.build(
      ItemRepo.layer.pipe(
        Layer.provide(SilverDatabase.layerFromClient()),
        Layer.provide(PgClient.layer({ url, transformResultNames: Str.snakeToCamel, maxConnections: 2 })),
        Layer.provide(Reactivity.layer)
      )
    ),
    (context) => Context.get(context, ItemRepo)
  )

/** Markup that would run if any of it reached the page as HTML. */
const HOSTILE_TITLE = `<script>window.__injected = "title"</script><img src=x onerror="window.__injected = 'img'"> zebracorn`
const HOSTILE_REASON = `<img src=y onerror="window.__injected = 'reason'"> not valid JSON`

/** The text of the first element `selector` matches, read in the page. */
const text = (selector: string) => document.querySelector(selector)?.textContent ?? null

describe.skipIf(SKIP)("the status page in chromium", () => {
  it.live(
    "shows silver, the sensors and the chart from the daemons, searches, follows a new item live, renders hostile text as text",
    (ctx) =>
      Effect.gen(function* () {
        if (!HAS_CHROMIUM) return assert.fail(`CI has no chromium at ${CHROMIUM}: .ci/run installs it with apt`)
        const server = yield* FixtureServer
        const database = yield* TestDatabase.makeDatabase("medallion_page")
        const sql = yield* Silver.connect(database.url)
        const dir = yield* Medallion.tempDir("medallion-page-")
        const configFile = Medallion.writeJson(
          Path.join(dir, "medallion.json"),
          Scenario.config({ serverUrl: server.url, bronzeRoot: Path.join(dir, "bronze") })
        )
        const start = yield* Medallion.spawn({
          args: [...Medallion.flags(Path.join(dir, "data"), configFile), "start"],
          env: { DATABASE_URL: Redacted.value(database.url) }
        })
        const transformUrl = yield* pageUrl(start, "transform")
        const fetchUrl = yield* pageUrl(start, "fetch")
        assert.deepStrictEqual(yield* Scenario.settle(sql, [start]), [])

        const context = yield* browser
        const { page, errors } = yield* open(context, `${transformUrl}/`)
        yield* waitFor(page, "the live indicator", text, (state) => state === "live", "#live")

        // Counts per source as silver holds them.
        const perSource = yield* sql<{ sourceType: string; count: number }>`
          select source_type, count(*)::int as count from items group by 1 order by 1`
        for (const { sourceType, count } of perSource) {
          yield* waitFor(
            page,
            `items of ${sourceType}`,
            () =>
              [...document.querySelectorAll("#items-per-source tbody tr")].map((row) =>
                [...row.children].slice(0, 2).map((c) => c.textContent)
              ),
            (rows) => rows.some(([source, items]) => source === sourceType && items === String(count)),
            null
          )
        }
        // Silver has caught up with bronze (a fetch run may add an artifact now and then: the page follows).
        yield* waitFor(
          page,
          "the lag",
          text,
          (value) => value === "0 bronze artifact(s) not yet handed to silver",
          "#lag"
        )

        // Each sensor's cursor, its ticks, and a chart whose total is the runs' items.
        const [{ cursor }] = yield* sql<{
          cursor: unknown
        }>`select cursor from sensor_state where sensor = 'bronze-to-silver'`
        const cursorText = yield* waitFor(
          page,
          "the bronze sensor's cursor",
          text,
          (value) => value !== null,
          '#sensors [data-sensor="bronze-to-silver"] .cursor'
        )
        assert.include(cursorText!, `"_tag":"${(cursor as { _tag: string })._tag}"`)
        const ticks = yield* Effect.promise(() =>
          page.evaluate(() => document.querySelectorAll('#sensors [data-sensor="bronze-to-silver"] tbody tr').length)
        )
        assert.isAbove(ticks, 0)
        const [{ items: ranItems }] = yield* sql<{ items: number }>`
          select coalesce(sum(jsonb_array_length(item_keys)), 0)::int as items from sensor_runs
          where sensor = 'bronze-to-silver' and status = 'succeeded'`
        assert.isAbove(ranItems, 0)
        yield* waitFor(
          page,
          "the throughput caption",
          text,
          (caption) => caption !== null && caption.includes(` ${ranItems} item(s)`),
          '#throughput figure[data-sensor="bronze-to-silver"] figcaption'
        )
        const bars = yield* Effect.promise(() =>
          page.evaluate(
            () => document.querySelectorAll('#throughput figure[data-sensor="bronze-to-silver"] rect.bar').length
          )
        )
        assert.isAbove(bars, 0)

        // The search box finds the transcript.
        yield* Effect.promise(async () => {
          await page.fill("#search input", "country")
          await page.click("#search button")
        })
        const hits = yield* waitFor(
          page,
          "search results",
          () => [...document.querySelectorAll("#results .hit code")].map((c) => c.textContent),
          (codes) => codes.length > 0,
          null
        )
        assert.isTrue(
          hits.some((code) => code !== null && code.startsWith("feed/")),
          JSON.stringify(hits)
        )

        // An item written while the page is open: it shows up without a reload, as text.
        const repo = yield* itemRepo(database.url)
        yield* repo.upsert([
          {
            sourceType: "hn",
            externalId: "999001",
            title: HOSTILE_TITLE,
            url: "javascript:window.__injected = 'link'",
            bodyText: "a zebracorn appears",
            fetchStatus: "fetched",
            transcriptionStatus: "not_applicable",
            transformStatus: "failed",
            transformError: HOSTILE_REASON,
            transformVersion: 1,
            artifacts: []
          }
        ])
        const hnCount = perSource.find((row) => row.sourceType === "hn")!.count
        const failedRow = yield* waitFor(
          page,
          "the new failed item",
          () =>
            [...document.querySelectorAll("#failed-items tbody tr")]
              .map((row) => [...row.children].map((c) => c.textContent))
              .find((cells) => cells[1] === "hn/999001") ?? null,
          (row) => row !== null,
          null
        )
        assert.strictEqual(failedRow![2], HOSTILE_TITLE)
        assert.strictEqual(failedRow![3], HOSTILE_REASON)
        yield* waitFor(
          page,
          "the hn count after the new item",
          () =>
            [...document.querySelectorAll("#items-per-source tbody tr")]
              .map((row) => [...row.children].slice(0, 2).map((c) => c.textContent))
              .find(([source]) => source === "hn")?.[1] ?? null,
          (value) => value === String(hnCount + 1),
          null
        )
        yield* Effect.promise(async () => {
          await page.fill("#search input", "zebracorn")
          await page.click("#search button")
        })
        yield* waitFor(
          page,
          "the hostile item found by search",
          () => [...document.querySelectorAll("#results .hit-title")].map((t) => t.firstChild?.textContent ?? null),
          (titles) => titles.includes(HOSTILE_TITLE),
          null
        )
        const injected = yield* Effect.promise(() =>
          page.evaluate(() => ({
            ran: (window as unknown as { __injected?: unknown }).__injected ?? null,
            elements: document.querySelectorAll("main script, main img, #results script, #results img").length,
            javascriptLinks: document.querySelectorAll('a[href^="javascript:"]').length
          }))
        )
        assert.deepStrictEqual(injected, { ran: null, elements: 0, javascriptLinks: 0 })
        assert.deepStrictEqual(errors, [])

        yield* Effect.sync(() => Fs.mkdirSync(SCREENSHOTS, { recursive: true }))
        const transformShot = Path.join(SCREENSHOTS, "transform.png")
        yield* Effect.promise(() => page.screenshot({ path: transformShot, fullPage: true }))

        // The fetch daemon's page: its sources with their last runs, no search box.
        const fetchPage = yield* open(context, `${fetchUrl}/`)
        const sources = yield* waitFor(
          fetchPage.page,
          "the fetch daemon's sources",
          () =>
            [...document.querySelectorAll("#sources tbody tr")].map((row) =>
              [...row.children].map((c) => c.textContent)
            ),
          (rows) => rows.length === 2 && rows.every((cells) => cells[2] !== "0"),
          null
        )
        assert.deepStrictEqual(
          sources.map((cells) => cells[0]),
          ["hn", "podcast (feed)"]
        )
        assert.isAtLeast(Number(sources[0]![5]), Scenario.MAX_ITEMS, JSON.stringify(sources))
        assert.isTrue(yield* Effect.promise(() => fetchPage.page.isHidden("#search")))
        assert.deepStrictEqual(fetchPage.errors, [])
        const fetchShot = Path.join(SCREENSHOTS, "fetch.png")
        yield* Effect.promise(() => fetchPage.page.screenshot({ path: fetchShot, fullPage: true }))

        for (const shot of [transformShot, fetchShot]) {
          console.log(`status page screenshot: ${shot}`)
          yield* Effect.promise(() => ctx.annotate(`screenshot: ${shot}`, { path: shot, contentType: "image/png" }))
        }
      }).pipe(Effect.provide(FixtureServer.layer(Scenario.serverOptions))),
    240_000
  )

  it.live("shows report fields and sections it has no layout for, and says why a report failed", () =>
    Effect.gen(function* () {
      if (!HAS_CHROMIUM) return assert.fail(`CI has no chromium at ${CHROMIUM}: .ci/run installs it with apt`)
      let failing = false
      const sections = {
        status: {
          items: { total: 1, bySource: { hn: 1 } },
          counts: [
            {
              sourceType: "hn",
              fetchStatus: "fetched",
              transcriptionStatus: "not_applicable",
              transformStatus: "transformed",
              count: 1
            }
          ],
          lag: { artifacts: 0, atLeast: false },
          sensors: [],
          warnings: [],
          discoveryFailures: [{ source: "feed", reason: HOSTILE_REASON }]
        },
        queue: {
          stats: { queued: 2, running: 1, dead: 1, workers: 1 },
          dead: [{ runKey: "run-7", attempts: 5, lastError: HOSTILE_REASON }]
        },
        gadgets: { spinning: 3, note: HOSTILE_TITLE }
      }
      const server = yield* Layer.build(
        HttpRouter.serve(
          StatusPage.routes({
            daemon: "transform",
            host: "127.0.0.1",
            refreshEvery: "200 millis",
            source: {
              sections: Effect.suspend(() =>
                failing ? Effect.fail(new Error("the database went away")) : Effect.succeed(sections)
              )
            }
          }),
          { disableLogger: true, disableListenLog: true }
        ).pipe(
          Layer.provideMerge(NodeHttpServer.layer(Http.createServer, { host: "127.0.0.1", port: 0 })),
          Layer.provide(NodeServices.layer)
        )
      )
      const base = HttpServer.formatAddress(Context.get(server, HttpServer.HttpServer).address)
      const { page, errors } = yield* open(yield* browser, `${base}/`)
      const more = yield* waitFor(page, "the report's unknown field", text, (value) => value !== null, "#report-more")
      assert.include(more!, "discoveryFailures")
      assert.include(more!, HOSTILE_REASON)
      const gadgets = yield* waitFor(page, "the unknown section", text, (value) => value !== null, "#section-gadgets")
      assert.include(gadgets!, "spinning")
      assert.include(gadgets!, HOSTILE_TITLE)
      const queue = yield* waitFor(page, "the run queue", text, (value) => value !== null, "#queue")
      assert.include(queue!, "1 dead")
      assert.include(queue!, "run-7")
      assert.include(queue!, HOSTILE_REASON)
      const elements = yield* Effect.promise(() =>
        page.evaluate(() => document.querySelectorAll("main img, main script").length)
      )
      assert.strictEqual(elements, 0)

      failing = true
      const problem = yield* waitFor(
        page,
        "the problem banner",
        text,
        (value) => value !== null && value.includes("went away"),
        "#problem"
      )
      assert.include(problem!, "Showing the last report it built")
      // The last good report stays on the page.
      assert.isTrue(
        yield* Effect.promise(() => page.evaluate(() => document.querySelector("#section-gadgets") !== null))
      )
      assert.deepStrictEqual(errors, [])
    })
  )
})
