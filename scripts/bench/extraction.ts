/**
 * Extraction report: per-field accuracy and the share of text kept, on the extraction corpus of
 * `@medallion/workers` (real pages and feeds, `packages/workers/test/fixtures/corpus/`), so that a
 * regression of the extractors shows as numbers.
 *
 *   pnpm bench extraction           every page and feed
 *   pnpm bench extraction --quick   the reference pages and the feeds, no articles
 *
 * Pages: title, author, published time and language right (of the pages that have an expectation),
 * must-contain / must-not-contain phrases, share of the page's visible text kept, and for reference
 * pages the share of their main text kept; by set (`tune`, `held-out`, `edge-case`). Feeds: of the
 * entries whose XML carries a text, a date, an author, categories or a language, how many keep it in
 * the rows handed to silver; dates that did not parse are listed.
 */
import { ExtractionCorpus } from "@medallion/workers"
import { Effect } from "effect"

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}% (${n}/${d})`)
const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length)

export default (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const quick = args.includes("--quick")
    const pages = ExtractionCorpus.loadPages().filter((p) => !quick || p.kind === "reference")
    const started = performance.now()
    const results = yield* Effect.forEach(pages, ExtractionCorpus.evaluatePage)
    const pageMs = performance.now() - started

    const out: Array<string> = []
    out.push(`extraction corpus: ${results.length} pages${quick ? " (quick: reference pages only)" : ""}`)
    out.push("")
    out.push(
      "| set | pages | title | author | published | language | phrases | visible text kept | main text kept (reference) |"
    )
    out.push("|---|---|---|---|---|---|---|---|---|")
    const sets = ["all", "tune", "held-out", "edge-case"] as const
    for (const set of sets) {
      const rs = results.filter((r) => set === "all" || r.expectation.set === set)
      if (rs.length === 0) continue
      const field = (f: ExtractionCorpus.Field) => {
        const scored = rs.flatMap((r) => (r.fields[f] === undefined ? [] : [r.fields[f]!.ok]))
        return pct(scored.filter((ok) => ok).length, scored.length)
      }
      const phrases = rs.reduce((n, r) => n + r.expectation.mustContain.length + r.expectation.mustNotContain.length, 0)
      const phraseMisses = rs.reduce((n, r) => n + r.missing.length + r.unwanted.length, 0)
      const reference = rs.flatMap((r) => (r.mainShare === undefined ? [] : [r.mainShare]))
      out.push(
        `| ${set} | ${rs.length} | ${field("title")} | ${field("author")} | ${field("published")} | ${field("language")} | ${pct(phrases - phraseMisses, phrases)} | ${(100 * mean(rs.map((r) => r.visibleShare))).toFixed(1)}% mean | ${
          reference.length === 0
            ? "-"
            : `${(100 * mean(reference)).toFixed(1)}% mean, ${(100 * Math.min(...reference)).toFixed(1)}% min, ${reference.filter((s) => s >= 0.9).length}/${reference.length} >= 90%`
        } |`
      )
    }
    out.push("")
    out.push("reference pages: extractor, main text kept")
    for (const r of results.filter((r) => r.mainShare !== undefined))
      out.push(
        `  ${r.expectation.file.split("/").pop()!.padEnd(46)} ${r.expectation.set.padEnd(9)} ${r.extractor.padEnd(13)} ${(100 * r.mainShare!).toFixed(1)}%`
      )
    const wrong = results.flatMap((r) =>
      Object.entries(r.fields)
        .filter(([, v]) => !v!.ok)
        .map(
          ([f, v]) =>
            `  ${r.expectation.file.split("/").pop()} ${f}: got ${JSON.stringify(v!.got)}, expected ${JSON.stringify(r.expectation[f as ExtractionCorpus.Field])}`
        )
    )
    out.push("")
    out.push(`fields wrong (${wrong.length}):`)
    out.push(...wrong)

    const feedStarted = performance.now()
    const feeds = yield* Effect.forEach(ExtractionCorpus.feedFiles(), ExtractionCorpus.evaluateFeed)
    const feedMs = performance.now() - feedStarted
    const ok = feeds.filter((f) => f.error === undefined)
    const sum = (k: "text" | "published" | "author" | "categories" | "language") =>
      pct(
        ok.reduce((n, f) => n + f[k].kept, 0),
        ok.reduce((n, f) => n + f[k].carried, 0)
      )
    out.push("")
    out.push(
      `feeds: ${ok.length} parsed (${ok.reduce((n, f) => n + f.entries, 0)} entries), ${feeds.length - ok.length} refused: ${feeds
        .filter((f) => f.error !== undefined)
        .map((f) => `${f.file.split("/").pop()} (${f.error})`)
        .join("; ")}`
    )
    out.push("")
    out.push("| entries whose XML carries | keep it in silver |")
    out.push("|---|---|")
    out.push(`| a text | ${sum("text")} |`)
    out.push(`| a date | ${sum("published")} |`)
    out.push(`| an author | ${sum("author")} |`)
    out.push(`| categories | ${sum("categories")} |`)
    out.push(`| a language (entry or feed) | ${sum("language")} |`)
    const unparsed = ok.flatMap((f) => f.unparsedDates)
    out.push("")
    out.push(
      `dates kept unparsed: ${unparsed.length}${unparsed.length > 0 ? `: ${JSON.stringify(unparsed.slice(0, 10))}` : ""}`
    )
    out.push("")
    out.push(
      `time: pages ${(pageMs / 1000).toFixed(1)} s (${(results.length / (pageMs / 1000)).toFixed(1)} pages/s), feeds ${(feedMs / 1000).toFixed(1)} s`
    )
    process.stdout.write(out.join("\n") + "\n")
  })
