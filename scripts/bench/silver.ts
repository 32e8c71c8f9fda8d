/**
 * Silver benchmark: items/s for `ItemRepo.upsert` of realistic items (about 5 KB of body_text, three
 * artifacts and 10 comments each) in batches of 1, 100 and 1,000, next to a `COPY` of the same rows
 * (items, item_artifacts, comments) measured in the same run on the same server.
 *
 *   pnpm bench silver                    embedded PostgreSQL 18 in a temporary folder (fsync on)
 *   pnpm bench silver --items 5000       items per measurement (default 3000; batch 1 uses a sixth)
 *   pnpm bench silver --quick            300 items (a smoke run)
 *   MEDALLION_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm bench silver
 *                                        another server: a fresh database is created there and dropped
 *
 * @effect/sql-pg does not speak the COPY sub-protocol, so COPY runs through `psql`'s `\copy` (from
 * `PSQL`, else /usr/lib/postgresql/15/bin/psql): the rows travel over the wire like the upserts' do.
 * Without psql it falls back to a server-side `COPY ... FROM 'file'`, and says so.
 */
import { spawnSync } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { EmbeddedPostgres, ItemRepo, SilverDatabase, SilverMigrator } from "@medallion/silver"
import { ItemFixtures } from "@medallion/silver/testing"
import { Context, DateTime, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

type ItemInput = ReturnType<typeof ItemFixtures.makeItem>

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

const argValue = (args: ReadonlyArray<string>, name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

/** COPY's text format: backslash escapes, `\N` for null. */
const field = (value: unknown): string => {
  if (value === null || value === undefined) return "\\N"
  const text =
    typeof value === "string" ? value : DateTime.isDateTime(value) ? DateTime.formatIso(value) : String(value)
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
}
const line = (values: ReadonlyArray<unknown>) => values.map(field).join("\t") + "\n"

const ITEM_COLUMNS =
  "source_type, external_id, title, url, author, published_at, language, body_text, fetch_status, transcription_status, transform_status, transform_version"
const ARTIFACT_COLUMNS = "item_id, artifact_type, ext, sha256, size, location, written_at"
const COMMENT_COLUMNS =
  "item_id, external_id, parent_external_id, position, depth, author, body_text, published_at, deleted, artifact_type, artifact_ext"

/** The rows the upserts write, as COPY files; item ids are 1..n after `truncate ... restart identity`. */
const writeCopyFiles = (dir: string, items: ReadonlyArray<ItemInput>) => {
  const files = {
    items: Path.join(dir, "items.tsv"),
    artifacts: Path.join(dir, "artifacts.tsv"),
    comments: Path.join(dir, "comments.tsv")
  }
  const out = { items: [] as Array<string>, artifacts: [] as Array<string>, comments: [] as Array<string> }
  items.forEach((item, index) => {
    const id = index + 1
    out.items.push(
      line([
        item.sourceType,
        item.externalId,
        item.title,
        item.url,
        item.author,
        item.publishedAt,
        item.language,
        item.bodyText,
        item.fetchStatus,
        item.transcriptionStatus,
        item.transformStatus,
        item.transformVersion
      ])
    )
    for (const a of item.artifacts)
      out.artifacts.push(line([id, a.artifactType, a.ext, a.sha256, a.size, a.location, a.writtenAt]))
    const depth = new Map<string, number>()
    ;(item.comments ?? []).forEach((c, position) => {
      const d = c.parentExternalId == null ? 0 : depth.get(c.parentExternalId)! + 1
      depth.set(c.externalId, d)
      out.comments.push(
        line([
          id,
          c.externalId,
          c.parentExternalId,
          position,
          d,
          c.author,
          c.bodyText,
          c.publishedAt,
          false,
          c.artifact.artifactType,
          c.artifact.ext
        ])
      )
    })
  })
  Fs.writeFileSync(files.items, out.items.join(""))
  Fs.writeFileSync(files.artifacts, out.artifacts.join(""))
  Fs.writeFileSync(files.comments, out.comments.join(""))
  for (const file of Object.values(files)) Fs.chmodSync(file, 0o644)
  return files
}

const psqlBinary = () => {
  const candidates = [process.env.PSQL, "/usr/lib/postgresql/15/bin/psql", "psql"].filter((c): c is string => !!c)
  return candidates.find((c) => spawnSync(c, ["--version"], { encoding: "utf8" }).status === 0)
}

export default (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const count = Number(argValue(args, "--items") ?? (args.includes("--quick") ? 300 : 3000))
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-bench-silver-"))
    Fs.chmodSync(root, 0o755)
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))

    // The server: another one when given, else an embedded PostgreSQL with durable settings.
    const external = process.env.MEDALLION_BENCH_DATABASE_URL
    const adminUrl = external
      ? Redacted.make(external)
      : (yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "pg"), ephemeral: true }).pipe(Scope.provide(scope)))
          .adminUrl
    const admin = yield* Layer.buildWithScope(SilverDatabase.layerWith({ url: adminUrl, poolSize: 1 }), scope)
    const adminSql = Context.get(admin, SqlClient)
    const [{ version }] = (yield* adminSql<{
      version: string
    }>`select current_setting('server_version') as version`) as unknown as [{ version: string }]
    const database = `medallion_bench_${Crypto.randomBytes(4).toString("hex")}`
    yield* adminSql.unsafe(`create database ${database}`)
    const parsed = new URL(Redacted.value(adminUrl))
    parsed.pathname = `/${database}`
    const url = Redacted.make(parsed.toString())

    const context = yield* Layer.buildWithScope(
      Layer.provideMerge(ItemRepo.layer, SilverDatabase.layerWith({ url, poolSize: 2 })),
      scope
    )
    const repo = Context.get(context, ItemRepo)
    const sql = Context.get(context, SqlClient)
    yield* SilverMigrator.run().pipe(Effect.provideService(SqlClient, sql))
    const [{ compression }] = (yield* sql<{ compression: string }>`
      select coalesce(nullif(attcompression::text, ''), 'default (pglz)') as compression
      from pg_attribute where attrelid = 'items'::regclass and attname = 'body_text'`) as unknown as [
      { compression: string }
    ]

    const items = Array.from({ length: count }, (_, n) => ItemFixtures.makeItem(n))
    const bodyKb = items.reduce((sum, item) => sum + (item.bodyText?.length ?? 0), 0) / items.length / 1024
    const reset = sql`truncate items, item_artifacts, comments, transcript_segments, media, enrichments restart identity cascade`

    process.stdout.write(
      `silver bench: PostgreSQL ${version} (${external ? "MEDALLION_BENCH_DATABASE_URL" : "embedded, fsync on"}), ` +
        `${os()}; ${fmt(count)} items, body_text ${bodyKb.toFixed(1)} KB, 10 comments + 3 artifacts each; ` +
        `body_text compression: ${compression}\n\n`
    )

    const timeUpserts = (batchSize: number, subset: ReadonlyArray<ItemInput>) =>
      Effect.gen(function* () {
        const started = performance.now()
        for (let i = 0; i < subset.length; i += batchSize) yield* repo.upsert(subset.slice(i, i + batchSize))
        return subset.length / ((performance.now() - started) / 1000)
      })

    const results: Array<{ label: string; rate: number }> = []
    for (const batchSize of [1, 100, 1000]) {
      yield* reset
      const subset = batchSize === 1 ? items.slice(0, Math.max(1, Math.floor(count / 6))) : items
      const rate = yield* timeUpserts(batchSize, subset)
      results.push({ label: `upsert, batches of ${fmt(batchSize)} (${fmt(subset.length)} new items)`, rate })
      process.stdout.write(`  ${results.at(-1)!.label}: ${fmt(rate)} items/s\n`)
    }
    // The same items again: the digests match and nothing is written.
    const unchanged = yield* timeUpserts(1000, items)
    results.push({ label: "upsert, batches of 1,000, unchanged items (skipped by digest)", rate: unchanged })
    process.stdout.write(`  ${results.at(-1)!.label}: ${fmt(unchanged)} items/s\n`)

    // COPY of the same rows.
    yield* reset
    const files = writeCopyFiles(root, items)
    const psql = psqlBinary()
    let copyRate: number
    let copyHow: string
    if (psql !== undefined) {
      const target = new URL(Redacted.value(url))
      const password = decodeURIComponent(target.password)
      target.password = ""
      const script = [
        "begin;",
        `\\copy items (${ITEM_COLUMNS}) from '${files.items}'`,
        `\\copy item_artifacts (${ARTIFACT_COLUMNS}) from '${files.artifacts}'`,
        `\\copy comments (${COMMENT_COLUMNS}) from '${files.comments}'`,
        "commit;"
      ].join("\n")
      const started = performance.now()
      const result = spawnSync(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", target.toString()], {
        input: script,
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: password }
      })
      const seconds = (performance.now() - started) / 1000
      if (result.status !== 0) return yield* Effect.die(new Error(`psql failed: ${result.stderr}`))
      copyRate = count / seconds
      copyHow = `psql \\copy (${psql}), one transaction`
    } else {
      const started = performance.now()
      yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql.unsafe(`copy items (${ITEM_COLUMNS}) from '${files.items}'`)
          yield* sql.unsafe(`copy item_artifacts (${ARTIFACT_COLUMNS}) from '${files.artifacts}'`)
          yield* sql.unsafe(`copy comments (${COMMENT_COLUMNS}) from '${files.comments}'`)
        })
      )
      copyRate = count / ((performance.now() - started) / 1000)
      copyHow = "server-side COPY FROM file (no psql found)"
    }
    const [{ rows }] = (yield* sql<{ rows: string }>`select count(*)::text as rows from comments`) as unknown as [
      { rows: string }
    ]
    process.stdout.write(`  COPY of the same rows via ${copyHow}: ${fmt(copyRate)} items/s (${rows} comments)\n\n`)
    for (const { label, rate } of results) {
      process.stdout.write(`  ${label.padEnd(66)} ${(rate / copyRate).toFixed(2)} x COPY\n`)
    }
    yield* adminSql.unsafe(`drop database if exists ${database} with (force)`).pipe(Effect.ignore)
    yield* Scope.close(scope, Exit.void)
  }).pipe(Effect.scoped)

const os = () => `${Os.cpus().length} cores ${Os.cpus()[0]?.model.trim() ?? ""}`
