/**
 * Legacy migration benchmark: rows/s of `migrate-legacy run` against the limit measured beside it on the
 * same server and disk, its peak memory, a rerun, and rows/s of `verify`.
 *
 *   pnpm bench migrate                 100,000 rows of 50 KB HTML (a real page, ars-1.html, made unique per row)
 *   pnpm bench migrate --quick         500 rows (a smoke run)
 *   pnpm bench migrate --rows 20000 --concurrency 16
 *   pnpm bench migrate --quick --keep  keeps the folder and the databases (with DATABASE_URL) for a look
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm bench migrate
 *                                      another server (fresh databases, dropped after); else an embedded one
 *
 * The legacy table is a web crawler's `(id, url, raw_html, content_type, fetched_at)`; each row becomes
 * `page.html`, `page-response.json` and `legacy-row.json` in bronze (filesystem store, scan catalog,
 * every file fsynced). The limit is what the run cannot avoid: reading the same columns with
 * `COPY (SELECT ...) TO STDOUT` (psql, binary format) plus writing the same bytes as files (temp file,
 * fsync, link, fsync of the folder: the careful raw write of `pnpm bench bronze`) with the same
 * concurrency. The run's ratio is against their sum (a run that overlapped them perfectly could beat
 * it, up to the slower of the two, also shown). `run`, the rerun and `verify` are the `medallion`
 * command in processes of their own: their times are the ones the command prints (after its start), their
 * peak RSS the process's `VmHWM`. Verify reads everything again (the legacy rows, every bronze file
 * hashed) and checks silver rows written here with SQL: the transform's Readability would take hours for
 * 100k pages, and these rows have no provenance, so verify's provenance comparison is not part of the
 * figure.
 *
 * Data lives under `.bench/migrate/` (gitignored), a new folder per run, removed after measuring.
 */
import { spawn } from "node:child_process"
import * as Crypto from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { LegacyRun, Mapping, RowPlan } from "@medallion/migrate"
import { LegacyFixture } from "@medallion/migrate/testing"
import { SilverDatabase, SilverMigrator } from "@medallion/silver"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Psql from "./Psql.ts"

const BENCH_ROOT = NodePath.resolve(import.meta.dirname, "../../.bench/migrate")

const argValue = (args: ReadonlyArray<string>, name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const mapping = {
  version: 1,
  tables: [
    {
      table: "bench_pages",
      source: "web",
      key: "id",
      externalId: "url",
      fetchedAt: "fetched_at",
      url: "url",
      artifacts: [{ column: "raw_html", as: "page", contentType: "content_type" }]
    }
  ]
}

const TEMPLATE = LegacyFixture.page("ars-1").toString("utf8")
const BASE_TIME = Date.UTC(2025, 0, 1)
/** Row `g`'s page, exactly as the SQL below builds it. */
const html = (g: number) => `<!-- row ${g} -->${TEMPLATE}`
const url = (g: number) => `https://bench.example/pages/${g}`

/** How long `run` takes, in ms. */
const timed = async (run: () => Promise<unknown>) => {
  const started = performance.now()
  await run()
  return { ms: performance.now() - started }
}

const fsyncDir = async (dir: string) => {
  const handle = await NodeFs.promises.open(dir, "r")
  await handle.sync()
  await handle.close()
}

/** The careful raw write: temp file, fsync, link (never replaces), unlink, fsync of the folder. */
const rawWrite = async (dir: string, name: string, bytes: Uint8Array) => {
  const temp = NodePath.join(dir, `.${name}.${Crypto.randomBytes(8).toString("hex")}.tmp`)
  const handle = await NodeFs.promises.open(temp, "wx")
  await handle.write(bytes)
  await handle.sync()
  await handle.close()
  await NodeFs.promises.link(temp, NodePath.join(dir, name))
  await NodeFs.promises.unlink(temp)
  await fsyncDir(dir)
}

/** The same files the run writes (page, response record, provenance record), with the same concurrency. */
const rawWrites = async (root: string, rows: number, concurrency: number, table: Mapping.ResolvedTable) => {
  let next = 1
  const worker = async () => {
    while (next <= rows) {
      const g = next++
      const row = {
        key: [String(g)],
        externalId: url(g),
        fetchedAt: BASE_TIME + g * 1000,
        updatedAt: null,
        url: url(g),
        fetchStatus: null,
        fetchReason: null,
        transcriptionStatus: null,
        transcriptionReason: null,
        raw: [new TextEncoder().encode(html(g))],
        contentTypes: ["text/html; charset=utf-8"],
        entry: {},
        bytes: 0,
        tooLarge: false
      }
      const plan = Effect.runSync(RowPlan.plan(table, row, { byKey: new Map() })) as RowPlan.Planned
      const dir = NodePath.join(root, "web", String(g))
      await NodeFs.promises.mkdir(dir, { recursive: true })
      for (const a of [...plan.artifacts, plan.legacyRow]) await rawWrite(dir, `${a.name}.${a.ext}`, a.bytes!)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const REPO = NodePath.resolve(import.meta.dirname, "../..")
const CLI = NodePath.join(REPO, "apps/cli/src/bin.ts")

/** Peak resident set size of a live process, MB (`VmHWM`), or NaN when it cannot be read. */
const peakRssOf = (pid: number): number => {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(NodeFs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  } catch {
    return Number.NaN
  }
}

/** `medallion <args>` as a process: its output, exit code and peak RSS (sampled until it exits). */
const medallion = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; output: string; peakRssMb: number }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@medallion/source", CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let output = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += String(chunk)
      output += String(chunk)
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      output = (output + String(chunk)).slice(-100_000)
    })
    let peak = 0
    const timer = setInterval(() => {
      const rss = peakRssOf(child.pid!)
      if (!Number.isNaN(rss)) peak = Math.max(peak, rss)
    }, 100)
    child.once("exit", (code) => {
      clearInterval(timer)
      resolve({ code, stdout, output, peakRssMb: peak })
    })
  })

const secondsIn = (text: string, pattern: RegExp): number => {
  const found = pattern.exec(text)?.[1]
  if (found === undefined) throw new Error(`no timing in the output:\n${text}`)
  return Number(found)
}

export default (args: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const quick = args.includes("--quick")
      const rows = Number(argValue(args, "--rows") ?? (quick ? 500 : 100_000))
      const concurrency = Number(argValue(args, "--concurrency") ?? LegacyRun.DEFAULT_CONCURRENCY)
      NodeFs.mkdirSync(BENCH_ROOT, { recursive: true })
      const work = NodeFs.mkdtempSync(NodePath.join(BENCH_ROOT, "run-"))
      const log = (line: string) => process.stderr.write(`${line}\n`)

      const external = process.env["DATABASE_URL"]
      const adminUrl = external
        ? Redacted.make(external)
        : (yield* EmbeddedPostgres.start({ dataDir: NodePath.join(work, "pg"), ephemeral: true })).adminUrl
      const admin = Context.get(yield* Layer.build(SilverDatabase.layerWith({ url: adminUrl, poolSize: 1 })), SqlClient)
      const [{ version }] = (yield* admin<{
        version: string
      }>`select current_setting('server_version') as version`) as unknown as [{ version: string }]
      const urlOf = (database: string) => {
        const parsed = new URL(Redacted.value(adminUrl))
        parsed.pathname = `/${database}`
        return Redacted.make(parsed.toString())
      }
      const suffix = Crypto.randomBytes(4).toString("hex")
      const legacyName = `medallion_bench_legacy_${suffix}`
      const silverName = `medallion_bench_silver_${suffix}`
      yield* admin.unsafe(`create database ${legacyName}`)
      yield* admin.unsafe(`create database ${silverName}`)
      const keep = args.includes("--keep")
      yield* Effect.addFinalizer(() =>
        keep
          ? Effect.sync(() => log(`kept ${work}, databases ${legacyName} and ${silverName}`))
          : Effect.all([
              admin.unsafe(`drop database if exists ${legacyName} with (force)`),
              admin.unsafe(`drop database if exists ${silverName} with (force)`)
            ]).pipe(Effect.ignore)
      )
      if (!keep)
        yield* Effect.addFinalizer(() => Effect.sync(() => NodeFs.rmSync(work, { recursive: true, force: true })))
      const legacyUrl = urlOf(legacyName)
      const silverUrl = urlOf(silverName)
      const psql = Psql.binary()
      if (psql === undefined)
        return yield* Effect.die(new Error("no psql found (set PSQL): the COPY baseline needs it"))

      log(`generating ${fmt(rows)} legacy rows of ${fmt(html(1).length)} bytes of HTML ...`)
      const generated = performance.now()
      const legacy = Context.get(
        yield* Layer.build(SilverDatabase.layerWith({ url: legacyUrl, poolSize: 1 })),
        SqlClient
      )
      yield* legacy.unsafe(
        `create table bench_pages (id bigint primary key, url text not null, raw_html text, content_type text, fetched_at timestamptz)`
      )
      for (let start = 1; start <= rows; start += 5000) {
        const end = Math.min(rows, start + 4999)
        yield* legacy.unsafe(
          `insert into bench_pages
             select g, 'https://bench.example/pages/' || g, '<!-- row ' || g || ' -->' || $1::text,
                    'text/html; charset=utf-8', to_timestamp(${BASE_TIME / 1000} + g)
               from generate_series(${start}, ${end}) g`,
          [TEMPLATE]
        )
      }
      yield* legacy.unsafe(`vacuum analyze bench_pages`)
      log(`  ${((performance.now() - generated) / 1000).toFixed(1)} s`)

      const decoded = yield* Mapping.decode("bench mapping", mapping)
      const table = decoded.tables[0]!

      // 1. COPY of the same columns.
      log("COPY (SELECT ...) TO STDOUT ...")
      const copyStarted = performance.now()
      Psql.run(
        psql,
        legacyUrl,
        `\\copy (select id::text, url, raw_html, content_type, (extract(epoch from fetched_at) * 1000)::float8 from bench_pages order by id) to '/dev/null' with (format binary)`
      )
      const copyMs = performance.now() - copyStarted

      // 2. The same bytes written as files.
      log("raw file writes of the same bytes ...")
      const raw = yield* Effect.promise(() =>
        timed(() => rawWrites(NodePath.join(work, "raw"), rows, concurrency, table))
      )

      // 3. The run, as the operator runs it: `medallion migrate-legacy run`, a process of its own.
      const dataDir = NodePath.join(work, "data")
      const mappingFile = NodePath.join(work, "mapping.json")
      NodeFs.writeFileSync(mappingFile, JSON.stringify(mapping))
      const env = { MEDALLION_LEGACY_DATABASE_URL: Redacted.value(legacyUrl), DATABASE_URL: Redacted.value(silverUrl) }
      const cli = (...command: Array<string>) =>
        Effect.promise(() =>
          medallion(
            [
              "--data-dir",
              dataDir,
              "migrate-legacy",
              ...command,
              "--mapping",
              mappingFile,
              "--concurrency",
              String(concurrency)
            ],
            env
          )
        )
      log("medallion migrate-legacy run ...")
      const run = yield* cli("run")
      const runSeconds = secondsIn(run.stdout, /run pass \d+: [\d,]+ row\(s\) in ([\d.]+) s/)
      if (!run.stdout.includes(`${rows} in bronze`)) return yield* Effect.die(new Error(`run failed:\n${run.output}`))
      log("medallion migrate-legacy run again (nothing to write) ...")
      const rerun = yield* cli("run")
      const rerunSeconds = secondsIn(rerun.stdout, /run pass \d+: [\d,]+ row\(s\) in ([\d.]+) s/)

      // 4. Verify, against silver rows written here.
      log("medallion migrate-legacy verify ...")
      const silver = yield* Layer.build(SilverDatabase.layerWith({ url: silverUrl, poolSize: 2 }))
      yield* SilverMigrator.run().pipe(Effect.provideContext(silver))
      yield* Context.get(silver, SqlClient).unsafe(
        `insert into items (source_type, external_id, url, title, body_text, fetch_status, transcription_status, transform_status, transform_version)
           select 'web', 'https://bench.example/pages/' || g, 'https://bench.example/pages/' || g, 'Page ' || g,
                  'The text of page ' || g || '.', 'fetched', 'not_applicable', 'transformed', 1
             from generate_series(1, ${rows}) g`
      )
      const verify = yield* cli("verify")
      if (verify.code !== 0)
        return yield* Effect.die(new Error(`verify found differences:\n${verify.output.slice(-3000)}`))
      const verifySeconds = secondsIn(verify.stdout, /row\(s\) checked in ([\d.]+) s/)

      const rate = (ms: number) => rows / (ms / 1000)
      const limitSerial = rate(copyMs + raw.ms)
      const limitParallel = rate(Math.max(copyMs, raw.ms))
      const bytes = rows * (html(1).length + 700)
      const table2 = [
        ["measurement", "time", "rows/s", "vs limit", "peak RSS MB"],
        [
          "limit: COPY (SELECT ...) TO STDOUT of the same columns",
          `${(copyMs / 1000).toFixed(1)} s`,
          fmt(rate(copyMs)),
          "-",
          "-"
        ],
        [
          `limit: raw file writes of the same bytes (3 files/row, concurrency ${concurrency})`,
          `${(raw.ms / 1000).toFixed(1)} s`,
          fmt(rate(raw.ms)),
          "-",
          "-"
        ],
        [
          "limit: COPY + raw writes, one after the other",
          `${((copyMs + raw.ms) / 1000).toFixed(1)} s`,
          fmt(limitSerial),
          "1.00",
          "-"
        ],
        [
          `run (concurrency ${concurrency})`,
          `${runSeconds.toFixed(1)} s`,
          fmt(rate(runSeconds * 1000)),
          `${(rate(runSeconds * 1000) / limitSerial).toFixed(2)} (${(rate(runSeconds * 1000) / limitParallel).toFixed(2)} of the slower alone)`,
          fmt(run.peakRssMb)
        ],
        [
          "run again: every artifact already in bronze",
          `${rerunSeconds.toFixed(1)} s`,
          fmt(rate(rerunSeconds * 1000)),
          "-",
          fmt(rerun.peakRssMb)
        ],
        [
          `verify (concurrency ${concurrency})`,
          `${verifySeconds.toFixed(1)} s`,
          fmt(rate(verifySeconds * 1000)),
          "-",
          fmt(verify.peakRssMb)
        ]
      ]
      const widths = table2[0]!.map((_, c) => Math.max(...table2.map((r) => r[c]!.length)))
      const out = [
        `PostgreSQL ${version} (${external ? "DATABASE_URL" : "embedded"}); ${fmt(rows)} rows of ${fmt(html(1).length)} bytes of HTML (${fmt(bytes / 2 ** 30, 2)} GiB); Node ${process.version}`,
        "",
        `| ${table2[0]!.map((h, c) => h.padEnd(widths[c]!)).join(" | ")} |`,
        `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
        ...table2.slice(1).map((r) => `| ${r.map((v, c) => v.padEnd(widths[c]!)).join(" | ")} |`),
        "",
        `run: ${run.stdout.split("\n")[0]}`,
        `rerun: ${rerun.stdout.split("\n")[0]}`,
        `verify: ${verify.stdout.trim().split("\n").at(-1)}`
      ]
      process.stdout.write(out.join("\n") + "\n")
    })
  )
