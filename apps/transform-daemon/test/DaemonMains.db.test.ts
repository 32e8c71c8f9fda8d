/**
 * Each daemon's own `main` as a real process, without the `medallion` CLI: the fetch daemon's reads the
 * configuration file and fetches from a loopback server with real captured data into a bronze folder;
 * the transform daemon's, on `DATABASE_URL`, migrates silver and transforms that folder's items. Both
 * serve their health endpoint and stop on SIGTERM, with the exit code of an interrupted command (130);
 * a bad configuration stops them at once with one line and exit 2, as it stops the CLI.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { SilverDatabase } from "@medallion/silver"
import { TestDatabase } from "@medallion/silver/testing"
import { FixtureServer } from "@medallion/workers/testing"
import { Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const MAIN = {
  fetch: Path.resolve(import.meta.dirname, "..", "..", "fetch-daemon", "src", "main.ts"),
  transform: Path.resolve(import.meta.dirname, "..", "src", "main.ts")
}

interface Daemon {
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly kill: (signal: NodeJS.Signals) => void
}

/** A daemon's main with only the given variables (and PATH); SIGKILLed if still running at the scope's end. */
const start = (main: string, env: Record<string, string>): Effect.Effect<Daemon, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = ChildProcess.spawn(process.execPath, ["--conditions=@medallion/source", main], {
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (chunk: Buffer) => (output += String(chunk)))
      child.stderr.on("data", (chunk: Buffer) => (output += String(chunk)))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      let done = false
      void exited.then(() => (done = true))
      return { output: () => output, exited, kill: (signal: NodeJS.Signals) => (done ? undefined : child.kill(signal)) }
    }),
    (daemon) => Effect.promise(() => (daemon.kill("SIGKILL"), daemon.exited))
  )

const freePort = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const get = (url: string) =>
  Effect.promise(() =>
    fetch(url)
      .then((response) => response.status)
      .catch(() => 0)
  )

/** Polls until `check` holds; the test's timeout bounds it. */
const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  check.pipe(Effect.repeat({ until: (done: boolean) => done, schedule: Schedule.spaced("200 millis") }))

const stopped = (daemon: Daemon) =>
  Effect.promise(() => {
    daemon.kill("SIGTERM")
    return daemon.exited
  })

describe("the daemons' own mains", () => {
  it.live(
    "fetch into bronze, then transform into silver, each in a process of its own",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-mains-"))),
          (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
        )
        const [fetchPort, transformPort] = [yield* freePort, yield* freePort]
        const configFile = Path.join(dir, "medallion.config.json")
        Fs.writeFileSync(
          configFile,
          JSON.stringify({
            sources: [{ type: "feed", name: "podcast", url: `${server.url}/podcast.xml`, every: "1 hour" }],
            http: { allowNetworks: ["127.0.0.1/32"] },
            sensors: { interval: "1 second" },
            metrics: { fetchPort, transformPort }
          })
        )
        const env = { MEDALLION_CONFIG: configFile, MEDALLION_DATA_DIR: dir, MEDALLION_LOG_FORMAT: "json" }

        // The fetch daemon: the feed and its episodes into <data dir>/bronze, health on its port.
        const fetcher = yield* start(MAIN.fetch, env)
        const feedDir = Path.join(dir, "bronze", "feed")
        yield* until(Effect.sync(() => Fs.existsSync(feedDir) && Fs.readdirSync(feedDir).length > 1))
        yield* until(Effect.map(get(`http://127.0.0.1:${fetchPort}/healthz`), (status) => status === 200))
        assert.strictEqual(yield* stopped(fetcher), 130, fetcher.output())

        // The transform daemon on its database: silver migrated, the episodes transformed.
        const database = yield* TestDatabase.makeDatabase("medallion_mains")
        const transformer = yield* start(MAIN.transform, { ...env, DATABASE_URL: Redacted.value(database.url) })
        const silver = yield* Layer.build(SilverDatabase.layerWith({ url: database.url, poolSize: 1 }))
        const transformed = Effect.flatMap(
          SqlClient,
          (sql) => sql<{ n: number }>`
            select count(*)::int as n from items where source_type = 'feed' and transform_status = 'transformed'`
        ).pipe(
          Effect.map((rows) => rows[0]!.n),
          // Until the daemon has created the table.
          Effect.orElseSucceed(() => 0),
          Effect.provide(silver)
        )
        yield* until(Effect.map(transformed, (n) => n > 0))
        yield* until(Effect.map(get(`http://127.0.0.1:${transformPort}/healthz`), (status) => status === 200))
        assert.strictEqual(yield* stopped(transformer), 130, transformer.output())
      }).pipe(Effect.provide(FixtureServer.layer())),
    120_000
  )

  it.live("a bad configuration file or variable, or no database, stops the start at once: one line, exit 2", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-mains-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const configFile = Path.join(dir, "medallion.config.json")
      Fs.writeFileSync(configFile, JSON.stringify({ sensors: { interval: "5 millis" } }))
      const fetcher = yield* start(MAIN.fetch, { MEDALLION_CONFIG: configFile, MEDALLION_DATA_DIR: dir })
      assert.strictEqual(yield* Effect.promise(() => fetcher.exited), 2, fetcher.output())
      assert.include(fetcher.output(), `fetch daemon: invalid configuration in ${configFile}`)
      assert.include(fetcher.output(), "at sensors.interval")
      assert.notInclude(fetcher.output(), "    at ", "no stack trace")

      const badVariable = yield* start(MAIN.fetch, { MEDALLION_LOG_FORMAT: "xml", MEDALLION_DATA_DIR: dir })
      assert.strictEqual(yield* Effect.promise(() => badVariable.exited), 2, badVariable.output())
      assert.include(badVariable.output(), 'fetch daemon: SchemaError(Expected "pretty" | "json" | "logfmt"')

      const transformer = yield* start(MAIN.transform, { MEDALLION_DATA_DIR: dir })
      assert.strictEqual(yield* Effect.promise(() => transformer.exited), 2, transformer.output())
      assert.include(transformer.output(), "transform daemon: DATABASE_URL is not set")
    })
  )
})
