/**
 * Search benchmark: `ItemRepo.search` on a few thousand items of real French, Russian, Japanese and
 * Chinese text (silver's search test pages, each page repeated under many ids and lengthened with
 * deterministic English filler), measuring query time (median and 95th percentile, with and without
 * a language) next to a baseline (one configuration's ranked query on the same index, without snippets),
 * and recall against what the pages contain, plus the cost of preparing the search text.
 *
 *   pnpm bench search                    embedded PostgreSQL 18 in a temporary folder
 *   pnpm bench search --items 6000       items (default 3000)
 *   pnpm bench search --quick            300 items (a smoke run)
 *   MEDALLION_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm bench search
 *                                        another server: a fresh database is created there and dropped
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { EmbeddedPostgres, ItemRepo, SearchText, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { ItemFixtures } from "@medallion/silver/testing"
import { Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const PAGES = Path.join(import.meta.dirname, "../../packages/silver/test/fixtures/search")

/** Words looked for, per language: present on some pages, absent from others. */
const QUERIES: Record<string, ReadonlyArray<string>> = {
  fr: ["réseau", "RÉSEAUX", "adresse", "Serveur", "séisme", "configuration"],
  ru: ["сеть", "СЕТИ", "Адрес", "сервер", "интерфейс", "пакеты"],
  ja: ["ネットワーク", "管理", "設定", "アドレス", "サーバ", "インターフェース"],
  zh: ["网络", "地址", "服务器", "宇航员", "配置", "接口"]
}

const argValue = (args: ReadonlyArray<string>, name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const fold = (text: string) => text.normalize("NFKC").toLowerCase()

export default (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const count = Number(argValue(args, "--items") ?? (args.includes("--quick") ? 300 : 3000))
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-bench-search-"))
    Fs.chmodSync(root, 0o755)
    const scope = yield* Scope.make()
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true }))
    )

    const external = process.env.MEDALLION_BENCH_DATABASE_URL
    const adminUrl = external
      ? Redacted.make(external)
      : (yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "pg"), ephemeral: true }).pipe(Scope.provide(scope)))
          .adminUrl
    const admin = yield* Layer.buildWithScope(SilverDatabase.layerWith({ url: adminUrl, poolSize: 1 }), scope)
    const adminSql = Context.get(admin, SqlClient)
    const [{ version }] = (yield* adminSql<{ version: string }>`
      select current_setting('server_version') as version`) as unknown as [{ version: string }]
    const database = `medallion_bench_${Crypto.randomBytes(4).toString("hex")}`
    yield* adminSql.unsafe(`create database ${database}`)
    const parsed = new URL(Redacted.value(adminUrl))
    parsed.pathname = `/${database}`
    // The repository's pool lives in a scope of its own, closed before its database is dropped.
    const repoScope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      Layer.provideMerge(
        ItemRepo.layer,
        SilverDatabase.layerWith({ url: Redacted.make(parsed.toString()), poolSize: 2 })
      ),
      repoScope
    )
    const repo = Context.get(context, ItemRepo)
    const sql = Context.get(context, SqlClient)
    yield* SilverMigrator.run().pipe(Effect.provideService(SqlClient, sql))
    const [{ ctype }] = (yield* sql<{ ctype: string }>`
      select datctype as ctype from pg_database where datname = current_database()`) as unknown as [{ ctype: string }]

    // Items: the pages in turn, each with filler so that bodies are about 5 KB.
    const pages = Fs.readdirSync(PAGES)
      .filter((file) => file.endsWith(".txt"))
      .sort()
      .map((file) => {
        const [title, ...rest] = Fs.readFileSync(Path.join(PAGES, file), "utf8").split("\n")
        return { language: file.split("-")[0]!, title: title!, body: rest.join("\n").trim() }
      })
    const items = Array.from({ length: count }, (_, n) => {
      const page = pages[n % pages.length]!
      const bodyText = `${page.body}\n\n${ItemFixtures.text(n, Math.max(0, 5000 - page.body.length))}`
      return { ...ItemFixtures.makeItem(n, { comments: 0 }), language: page.language, title: page.title, bodyText }
    })

    const prepareStart = performance.now()
    for (const item of items) SearchText.document({ title: item.title, body: item.bodyText })
    const prepareMs = (performance.now() - prepareStart) / items.length
    const writeStart = performance.now()
    for (let i = 0; i < items.length; i += 200) yield* repo.upsert(items.slice(i, i + 200))
    const writeSeconds = (performance.now() - writeStart) / 1000
    yield* sql`analyze items`

    process.stdout.write(
      `search bench: PostgreSQL ${version} (${external ? "MEDALLION_BENCH_DATABASE_URL" : "embedded"}, ctype ${ctype}), ` +
        `${Os.cpus().length} cores; ${count.toLocaleString("en-US")} items (${pages.length} real pages in fr/ru/ja/zh, ` +
        `bodies ~5 KB), written in ${writeSeconds.toFixed(1)} s (${Math.round(count / writeSeconds)} items/s, batches of 200); ` +
        `search text prepared in ${prepareMs.toFixed(2)} ms per item\n\n`
    )

    const rows: Array<string> = []
    const medians: Record<string, Array<number>> = { any: [], own: [], baseline: [] }
    let expectedTotal = 0
    let foundTotal = 0
    let wrongTotal = 0
    for (const [language, words] of Object.entries(QUERIES)) {
      for (const text of words) {
        const word = fold(text)
        const having = new Set(
          items.filter((item) => fold(`${item.title}\n${item.bodyText}`).includes(word)).map((i) => i.externalId)
        )
        for (const filter of [undefined, language]) {
          const times: Array<number> = []
          let hits: ReadonlyArray<{ externalId: string }> = []
          const baseline: Array<number> = []
          const prepared = SearchText.document({ body: text }).body
          for (let run = 0; run < 7; run++) {
            const start = performance.now()
            hits = yield* repo.search({ text, language: filter, limit: 10 })
            times.push(performance.now() - start)
            // The baseline: one configuration's query on the same index, ranked, without snippets.
            const baselineStart = performance.now()
            yield* sql`
              select id, ts_rank(body_tsv, q) as rank
              from items, plainto_tsquery(silver_text_search_config(${language}), ${prepared}) q
              where body_tsv @@ q order by rank desc limit 10`
            baseline.push(performance.now() - baselineStart)
          }
          // Recall over every hit (a large page), precision by the text: a hit must contain the word or its stem.
          const all = yield* repo.search({ text, language: filter, limit: count })
          const expected = [...having].filter(
            (id) => filter === undefined || items.find((i) => i.externalId === id)!.language === filter
          )
          const returned = new Set(all.map((hit) => hit.externalId))
          const found = expected.filter((id) => returned.has(id)).length
          // A crude stem, independent of PostgreSQL's: the word without its last two letters (at least three kept).
          const stem = word.slice(0, Math.max(3, word.length - 2))
          const textOf = (id: string) => {
            const item = items.find((i) => i.externalId === id)!
            return fold(`${item.title}\n${item.bodyText}`)
          }
          const wrong = all.filter((hit) => !textOf(hit.externalId).includes(stem)).length
          medians[filter === undefined ? "any" : "own"]!.push(percentile(times, 50))
          medians.baseline!.push(percentile(baseline, 50))
          expectedTotal += expected.length
          foundTotal += found
          wrongTotal += wrong
          rows.push(
            `| ${text} | ${filter ?? "any"} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ` +
              `${percentile(baseline, 50).toFixed(1)} | ` +
              `${found}/${expected.length} | ${wrong} | ${hits.length} |`
          )
        }
      }
    }
    process.stdout.write(
      "| query | language | median ms (limit 10) | p95 ms | baseline median ms | recall (all hits) | hits lacking its first letters | hits |\n" +
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n" +
        rows.join("\n") +
        `\n\nrecall ${foundTotal}/${expectedTotal} (${((100 * foundTotal) / Math.max(1, expectedTotal)).toFixed(1)}%), ` +
        `hits whose text lacks the word's first letters (all but the last two): ${wrongTotal}; ` +
        `median query time ${percentile(medians.any!, 50).toFixed(1)} ms without a language, ` +
        `${percentile(medians.own!, 50).toFixed(1)} ms with one, baseline ${percentile(medians.baseline!, 50).toFixed(1)} ms ` +
        `(slowest query's median: ` +
        `${Math.max(...medians.any!, ...medians.own!).toFixed(1)} ms)\n`
    )
    yield* Scope.close(repoScope, Exit.void)
    if (process.env.MEDALLION_BENCH_KEEP === undefined) {
      yield* adminSql.unsafe(`drop database if exists ${database} with (force)`).pipe(Effect.ignore)
    } else process.stdout.write(`kept database ${database}\n`)
    yield* Scope.close(scope, Exit.void)
  })
