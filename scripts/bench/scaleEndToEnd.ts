/**
 * End to end, bronze -> silver: real transform daemons (`medallion transform`, each its own Node process,
 * `DATABASE_URL` pointing at a fresh database per row) drain a generated bronze tree into silver; the
 * bench polls silver until every item has its row, reads each daemon's peak RSS (`VmHWM` in
 * /proc/PID/status) while it still runs, then stops it with SIGTERM. The baseline is a `COPY` of the very
 * rows the daemons wrote, into the same emptied tables, measured in the same run on the same server.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Crypto from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { performance } from "node:perf_hooks"
import { SilverDatabase } from "@medallion/silver"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { Context, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { ScaleTree } from "./generate.ts"
import * as Psql from "./Psql.ts"

const REPO = NodePath.resolve(import.meta.dirname, "../..")
const CLI = NodePath.join(REPO, "apps/cli/src/bin.ts")

/** The silver tables the transform writes, in foreign-key order. */
const SILVER_TABLES = ["items", "item_artifacts", "comments", "transcript_segments", "media", "enrichments"]

export interface Launcher {
  readonly label: string
  /** Extra keys of the configuration's `runs` section. */
  readonly runs: Readonly<Record<string, unknown>>
  readonly daemons: number
}

export interface EndToEndRow {
  readonly launcher: Launcher
  readonly outcome:
    | {
        readonly _tag: "Done"
        readonly seconds: number
        readonly firstRowSeconds: number
        readonly itemsPerSecond: number
        readonly failedItems: number
        readonly peakRssMb: ReadonlyArray<number>
      }
    | { readonly _tag: "Unavailable"; readonly reason: string }
}

export interface EndToEndReport {
  readonly server: string
  readonly rows: ReadonlyArray<EndToEndRow>
  readonly copy: { readonly itemsPerSecond: number; readonly how: string } | undefined
}

export interface EndToEndOptions {
  readonly tree: ScaleTree
  readonly launchers: ReadonlyArray<Launcher>
  readonly sensors: { readonly maxRunsPerTick: number; readonly batchSize: number; readonly interval: string }
  readonly concurrency: number
  /** Give up on a row when silver gains no row for this long. */
  readonly stallSeconds: number
  readonly log: (line: string) => void
}

/** Peak resident set size of a live process, MB (`VmHWM`), or NaN when it cannot be read. */
const peakRssOf = (pid: number): number => {
  try {
    const status = NodeFs.readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  } catch {
    return Number.NaN
  }
}

interface Daemon {
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  readonly stderrTail: () => string
}

const startDaemon = (configFile: string, dataDir: string, url: Redacted.Redacted<string>): Daemon => {
  const child = spawn(
    process.execPath,
    ["--conditions=@medallion/source", CLI, "transform", "--config", configFile, "--data-dir", dataDir],
    { cwd: REPO, env: { ...process.env, DATABASE_URL: Redacted.value(url) }, stdio: ["ignore", "ignore", "pipe"] }
  )
  let tail: Array<string> = []
  child.stderr!.setEncoding("utf8")
  child.stderr!.on("data", (text: string) => {
    tail.push(text)
    if (tail.length > 40) tail = tail.slice(-40)
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return { child, exited, stderrTail: () => tail.join("").slice(-2000) }
}

const stopDaemon = async (daemon: Daemon) => {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return
  daemon.child.kill("SIGTERM")
  const timer = setTimeout(() => daemon.child.kill("SIGKILL"), 30_000)
  await daemon.exited
  clearTimeout(timer)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const measureEndToEnd = (options: EndToEndOptions) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const work = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "medallion-bench-scale-"))
    NodeFs.chmodSync(work, 0o755)

    // The server: DATABASE_URL's when given, else an embedded PostgreSQL (fsync on) for this run.
    const external = process.env["DATABASE_URL"]
    const adminUrl = external
      ? Redacted.make(external)
      : (yield* EmbeddedPostgres.start({ dataDir: NodePath.join(work, "pg"), ephemeral: true }).pipe(
          Scope.provide(scope)
        )).adminUrl
    const admin = Context.get(
      yield* Layer.buildWithScope(SilverDatabase.layerWith({ url: adminUrl, poolSize: 1 }), scope),
      SqlClient
    )
    const [{ version }] = (yield* admin<{
      version: string
    }>`select current_setting('server_version') as version`) as unknown as [{ version: string }]
    const server = `PostgreSQL ${version} (${external ? "DATABASE_URL" : "embedded, fsync on"})`
    const psql = Psql.binary()

    const urlOf = (database: string) => {
      const parsed = new URL(Redacted.value(adminUrl))
      parsed.pathname = `/${database}`
      return Redacted.make(parsed.toString())
    }

    const rows: Array<EndToEndRow> = []
    let copy: EndToEndReport["copy"]

    for (const launcher of options.launchers) {
      const database = `medallion_scale_${Crypto.randomBytes(4).toString("hex")}`
      yield* admin.unsafe(`create database ${database}`)
      const url = urlOf(database)
      const rowScope = yield* Scope.make()
      const sql = Context.get(
        yield* Layer.buildWithScope(SilverDatabase.layerWith({ url, poolSize: 1 }), rowScope),
        SqlClient
      )
      const configFile = NodePath.join(work, `${database}.json`)
      NodeFs.writeFileSync(
        configFile,
        JSON.stringify({
          bronze: { root: options.tree.root, discovery: "index" },
          sensors: options.sensors,
          runs: { concurrency: options.concurrency, ...launcher.runs },
          metrics: { fetchPort: 0, transformPort: 0 }
        })
      )
      options.log(`${launcher.label}: ${launcher.daemons} daemon(s) on ${database} ...`)

      const started = performance.now()
      const daemons = Array.from({ length: launcher.daemons }, (_, n) =>
        startDaemon(configFile, NodePath.join(work, `${database}-${n}`), url)
      )
      const count = Effect.map(
        sql<{ n: number; failed: number }>`
          select count(*)::int as n, (count(*) filter (where transform_status = 'failed'))::int as failed from items`,
        (result) => result[0]!
      ).pipe(Effect.catch(() => Effect.succeed({ n: 0, failed: 0 })))

      let outcome: EndToEndRow["outcome"] | undefined
      let firstRowAt: number | undefined
      let lastN = -1
      let lastProgressAt = performance.now()
      let nextLog = performance.now() + 15_000
      while (outcome === undefined) {
        yield* Effect.promise(() => sleep(250))
        const now = performance.now()
        const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null)
        if (dead !== undefined) {
          const tail = dead.stderrTail()
          outcome = {
            _tag: "Unavailable",
            reason:
              dead.child.exitCode === 2 && /invalid configuration/.test(tail)
                ? `this checkout's configuration refuses it: ${tail.split("\n").slice(1, 3).join(" ").trim()}`
                : `a daemon exited (code ${dead.child.exitCode}): ${tail.slice(-600)}`
          }
          break
        }
        const { n, failed } = yield* count
        if (n > 0 && firstRowAt === undefined) firstRowAt = now
        if (n !== lastN) {
          lastN = n
          lastProgressAt = now
        }
        if (now >= nextLog) {
          options.log(`  ${n.toLocaleString("en-US")} / ${options.tree.items.toLocaleString("en-US")} items`)
          nextLog = now + 15_000
        }
        if (n >= options.tree.items) {
          // Peak RSS while the daemons still run: once they exit /proc forgets them.
          const peakRssMb = daemons.map((d) => peakRssOf(d.child.pid!))
          const seconds = (now - started) / 1000
          const firstRowSeconds = ((firstRowAt ?? now) - started) / 1000
          outcome = {
            _tag: "Done",
            seconds,
            firstRowSeconds,
            itemsPerSecond: n / Math.max(0.001, seconds - firstRowSeconds),
            failedItems: failed,
            peakRssMb
          }
        } else if (now - lastProgressAt > options.stallSeconds * 1000) {
          outcome = {
            _tag: "Unavailable",
            reason: `stalled at ${n} of ${options.tree.items} items for ${options.stallSeconds} s: ${daemons[0]!.stderrTail().slice(-600)}`
          }
        }
      }
      yield* Effect.promise(() => Promise.all(daemons.map(stopDaemon)))
      rows.push({ launcher, outcome })
      options.log(
        outcome._tag === "Done"
          ? `  ${Math.round(outcome.itemsPerSecond)} items/s, first row after ${outcome.firstRowSeconds.toFixed(1)} s`
          : `  not measured: ${outcome.reason}`
      )

      // The baseline, once: COPY of the rows the first finished row wrote, into the same emptied tables.
      if (copy === undefined && outcome._tag === "Done" && psql !== undefined) {
        copy = yield* Effect.promise(() => timeCopy(psql, url, work, options.tree.items))
        yield* Effect.sync(() => options.log(`  COPY of the same rows: ${Math.round(copy!.itemsPerSecond)} items/s`))
      }
      yield* Scope.close(rowScope, Exit.void)
      yield* admin.unsafe(`drop database if exists ${database} with (force)`).pipe(Effect.ignore)
    }

    yield* Scope.close(scope, Exit.void)
    NodeFs.rmSync(work, { recursive: true, force: true })
    return { server, rows, copy } satisfies EndToEndReport
  })

/** Dumps the silver tables, empties them, and times loading the same rows back with COPY in one transaction. */
const timeCopy = async (psql: string, url: Redacted.Redacted<string>, dir: string, items: number) => {
  const columnsFile = NodePath.join(dir, "columns.txt")
  Psql.run(
    psql,
    url,
    `\\copy (select table_name, string_agg(column_name, ', ' order by ordinal_position) from information_schema.columns where table_schema = 'public' and is_generated = 'NEVER' and table_name in (${SILVER_TABLES.map((t) => `'${t}'`).join(", ")}) group by table_name) to '${columnsFile}'`
  )
  const columns = new Map(
    NodeFs.readFileSync(columnsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\t") as [string, string])
  )
  const tables = SILVER_TABLES.filter((t) => columns.has(t))
  const file = (table: string) => NodePath.join(dir, `copy-${table}.tsv`)
  Psql.run(psql, url, tables.map((t) => `\\copy (select ${columns.get(t)} from ${t}) to '${file(t)}'`).join("\n"))
  Psql.run(psql, url, `truncate ${tables.join(", ")} restart identity cascade;`)
  const started = performance.now()
  Psql.run(
    psql,
    url,
    ["begin;", ...tables.map((t) => `\\copy ${t} (${columns.get(t)}) from '${file(t)}'`), "commit;"].join("\n")
  )
  const seconds = (performance.now() - started) / 1000
  const loaded = Number(Psql.run(psql, url, "select count(*) from items;"))
  if (loaded !== items) throw new Error(`COPY loaded ${loaded} items, expected ${items}`)
  return {
    itemsPerSecond: items / seconds,
    how: `COPY of the same rows (psql \\copy, ${tables.length} tables, one transaction)`
  }
}
