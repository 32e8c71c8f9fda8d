/**
 * Transform benchmark: items/s from bronze to silver for Hacker News stories (item + a 26-comment
 * tree), HTML pages (Readability) and podcast entries (a Whisper transcript), and the share of the
 * time spent reading + extracting vs writing to PostgreSQL.
 *
 *   pnpm bench workers             300 items per kind
 *   pnpm bench workers 1000        1,000 items per kind
 *   pnpm bench workers --quick     20 items per kind (a smoke run)
 *
 * The database is a fresh one on the server of `MEDALLION_TEST_DATABASE_URL` (default: the local
 * `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards. Bronze is the filesystem store in
 * a temporary folder, filled before measuring with the real fixtures of the transform's tests.
 */
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { BronzeWriter, FileSystemBronze, type ItemKey } from "@medallion/bronze"
import { ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { Transform, TransformJob } from "@medallion/workers"
import { DateTime, Effect, Layer } from "effect"

const FIXTURES = NodePath.resolve(import.meta.dirname, "../../packages/workers/test/fixtures/transform")
/** The episode's audio: the Whisper server fixture's recording (the transform only stores its reference). */
const AUDIO = NodePath.resolve(import.meta.dirname, "../../packages/workers/test/fixtures/server/whisper/jfk.mp3")
const read = (path: string) => new Uint8Array(NodeFs.readFileSync(NodePath.join(FIXTURES, path)))
const text = (path: string) => NodeFs.readFileSync(NodePath.join(FIXTURES, path), "utf8")

const CONCURRENCY = 4
const BATCH = 100

interface Kind {
  readonly name: string
  readonly keys: ReadonlyArray<ItemKey>
}

const seed = (n: number) =>
  Effect.gen(function* () {
    const writer = yield* BronzeWriter
    const put = (sourceType: string, externalId: string, artifactType: string, ext: string, bytes: Uint8Array) =>
      writer.put({ sourceType, externalId, artifactType, ext }, bytes)
    const thread = NodeFs.readdirSync(NodePath.join(FIXTURES, "hn/thread_47336100")).sort()
    const story = JSON.parse(text("hn/thread_47336100/47336100_story.json")) as Record<string, unknown>
    const comments = new TextEncoder().encode(
      "[" +
        thread
          .filter((f) => f.includes("_comment"))
          .map((f) => text(`hn/thread_47336100/${f}`).trim())
          .join(",") +
        "]"
    )
    const pages = NodeFs.readdirSync(NodePath.join(FIXTURES, "html")).filter((f) => f.endsWith(".html"))
    const transcript = read("whisper/openai-whisper_commit1caba7d_jfk.json")
    const audio = new Uint8Array(NodeFs.readFileSync(AUDIO))

    const hn: Array<ItemKey> = []
    const html: Array<ItemKey> = []
    const podcasts: Array<ItemKey> = []
    for (let i = 0; i < n; i++) {
      const id = String(47336100 + i * 1000)
      yield* put("hn", id, "item", "json", new TextEncoder().encode(JSON.stringify({ ...story, id: Number(id) })))
      yield* put("hn", id, "comments", "json", comments)
      hn.push({ sourceType: "hn", externalId: id })

      const url = `https://example.org/page/${i}`
      yield* put("web", url, "page", "html", read(`html/${pages[i % pages.length]}`))
      html.push({ sourceType: "web", externalId: url })

      const guid = `https://podcast.example/episode/${i}`
      const entry = {
        guid,
        title: `Episode ${i}`,
        link: guid,
        published: "Fri, 20 Feb 2015 09:51:15 UTC",
        enclosures: []
      }
      yield* put("feed", guid, "entry", "json", new TextEncoder().encode(JSON.stringify(entry)))
      yield* put("feed", guid, "audio", "mp3", audio)
      yield* put("feed", guid, "transcript", "json", transcript)
      podcasts.push({ sourceType: "feed", externalId: guid })
    }
    return [
      { name: "HN stories (item + 26 comments)", keys: hn },
      { name: `HTML pages (${pages.length} real pages, Readability)`, keys: html },
      { name: "podcast entries (Whisper transcript)", keys: podcasts }
    ] satisfies ReadonlyArray<Kind>
  })

const time = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const result = yield* effect
    return { result, ms: performance.now() - started }
  })

const measure = (kind: Kind) =>
  Effect.gen(function* () {
    let extractMs = 0
    let dbMs = 0
    let failures = 0
    for (let at = 0; at < kind.keys.length; at += BATCH) {
      const batch = kind.keys.slice(at, at + BATCH)
      const rows = yield* time(Effect.forEach(batch, Transform.transformItem, { concurrency: CONCURRENCY }))
      const written = yield* time(TransformJob.writeRows(rows.result))
      extractMs += rows.ms
      dbMs += written.ms
      failures += written.result.failures.length
    }
    // The same bronze again: silver skips unchanged items by their digest.
    const again = yield* time(
      Effect.forEach(
        Array.from({ length: Math.ceil(kind.keys.length / BATCH) }, (_, b) =>
          kind.keys.slice(b * BATCH, (b + 1) * BATCH)
        ),
        (batch) => TransformJob.runBatch(batch, { concurrency: CONCURRENCY })
      )
    )
    return { kind, extractMs, dbMs, failures, againMs: again.ms }
  })

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

export default (args: ReadonlyArray<string>) => {
  const n = Number(args.find((arg) => /^\d+$/.test(arg)) ?? (args.includes("--quick") ? 20 : 300))
  process.env["MEDALLION_TEST_DATABASE_URL"] ??= "postgres://postgres@127.0.0.1:5432/postgres"
  const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "medallion-bench-workers-"))
  const silver = ItemRepo.layer.pipe(
    Layer.provideMerge(SilverDatabase.layerFromClient()),
    Layer.provideMerge(Layer.effectDiscard(SilverMigrator.run()).pipe(Layer.provideMerge(TestDatabase.layer)))
  )
  return Effect.gen(function* () {
    process.stdout.write(`seeding bronze with ${n} items per kind in ${root} ...\n`)
    const kinds = yield* seed(n)
    const results = []
    for (const kind of kinds) {
      process.stdout.write(`transforming ${kind.name} ...\n`)
      results.push(yield* measure(kind))
    }
    const cpu = NodeOs.cpus()
    process.stdout.write(
      `\n${DateTime.formatIso(yield* DateTime.now).slice(0, 10)}, ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, Node ${process.version}, ` +
        `${n} items per kind, batches of ${BATCH}, concurrency ${CONCURRENCY}\n\n`
    )
    process.stdout.write("| items | items/s | read + extract | database | unchanged again, items/s | failures |\n")
    process.stdout.write("|---|---:|---:|---:|---:|---:|\n")
    for (const r of results) {
      const total = r.extractMs + r.dbMs
      process.stdout.write(
        `| ${r.kind.name} | ${fmt((r.kind.keys.length / total) * 1000)} | ${fmt((r.extractMs / total) * 100)}% ` +
          `(${fmt(r.extractMs)} ms) | ${fmt((r.dbMs / total) * 100)}% (${fmt(r.dbMs)} ms) | ` +
          `${fmt((r.kind.keys.length / r.againMs) * 1000)} | ${r.failures} |\n`
      )
    }
  }).pipe(
    Effect.provide(Layer.mergeAll(FileSystemBronze.layerWith({ root, catalog: "scan" }), silver)),
    Effect.ensuring(Effect.sync(() => NodeFs.rmSync(root, { recursive: true, force: true })))
  )
}
