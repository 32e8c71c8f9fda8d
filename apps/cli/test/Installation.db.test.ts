/**
 * Operator commands read the installation that is there, on the server that already runs: with the
 * demo running (its embedded server up under `data/demo`), `medallion status` with no `--data-dir`
 * finds the demo's installation, says so, and connects to that server (no second postmaster, the same
 * start time); a record left by a server that died is not trusted (the server is started as usual).
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { EmbeddedPostgres } from "@medallion/silver/embedded"
import { Effect, Exit, Scope } from "effect"
import { BIN } from "./support/Medallion.ts"
import * as Silver from "./support/Silver.ts"

const medallion = (cwd: string, args: ReadonlyArray<string>) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && key !== "DATABASE_URL" && !key.startsWith("PG") && !key.startsWith("MEDALLION_"))
        env[key] = value
    ChildProcess.execFile(
      process.execPath,
      ["--conditions=@medallion/source", BIN, ...args],
      { cwd, env, encoding: "utf8" },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }))
    )
  })

const startTime = (url: Parameters<typeof Silver.connect>[0]) =>
  Effect.scoped(
    Effect.flatMap(Silver.connect(url), (sql) =>
      Effect.map(
        sql<{ started: string }>`select pg_postmaster_start_time()::text as started`,
        (rows) => rows[0]!.started
      )
    )
  )

describe("operator commands and the installation that is there", () => {
  it.live(
    "status finds the demo's installation and uses its running server; a stale record starts the server",
    () =>
      Effect.gen(function* () {
        const cwd = Fs.realpathSync(Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-installation-")))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(cwd, { recursive: true, force: true })))
        const demoDir = Path.join(cwd, "data", "demo")
        const postgresDir = Path.join(demoDir, "postgres")

        // The server as the demo's daemon starts it: owned by this process, under data/demo/postgres.
        const daemon = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(daemon, Exit.void))
        const server = yield* EmbeddedPostgres.start({ dataDir: postgresDir }).pipe(Scope.provide(daemon))
        const before = yield* startTime(server.adminUrl)

        const found = yield* medallion(cwd, ["status", "--json"])
        assert.strictEqual(found.code, 0, found.stderr)
        assert.include(found.stderr, "found the demo's installation at data/demo")
        assert.include(found.stderr, `using the embedded PostgreSQL of a running daemon on 127.0.0.1:${server.port}`)
        assert.strictEqual((JSON.parse(found.stdout) as { items: { total: number } }).items.total, 0)
        // The same server, not a second one: same postmaster, same start time, nothing under data/postgres.
        assert.strictEqual(EmbeddedPostgres.runningServerPid(postgresDir), server.pid)
        assert.strictEqual(yield* startTime(server.adminUrl), before)
        assert.isFalse(Fs.existsSync(Path.join(cwd, "data", "postgres")))

        // Named explicitly, another folder is not swapped for the demo's: the message points at it.
        const explicit = yield* medallion(cwd, ["--data-dir", "data", "status"])
        assert.strictEqual(explicit.code, 2, explicit.stderr)
        assert.include(explicit.stderr, "The demo's installation is there: --data-dir data/demo")

        // The daemon stops; its record stays behind as a crash leaves it (a postmaster.pid naming a
        // process that is gone, an owner that is gone): the command starts the server itself.
        yield* Scope.close(daemon, Exit.void)
        const dead = ChildProcess.spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" })
        const deadPid = Number(dead.stdout.trim())
        const pidLines = [String(deadPid), postgresDir, "0", String(server.port), "", "127.0.0.1", "0 0", "ready"]
        Fs.writeFileSync(Path.join(postgresDir, "postmaster.pid"), pidLines.join("\n") + "\n")
        Fs.writeFileSync(Path.join(`${postgresDir}.meta`, "owner.pid"), String(deadPid))
        const stale = yield* medallion(cwd, ["status"])
        assert.strictEqual(stale.code, 0, stale.stderr)
        assert.include(stale.stderr, "embedded PostgreSQL started on 127.0.0.1:")
        // It owned that server and stopped it as it exited.
        assert.isUndefined(EmbeddedPostgres.runningServerPid(postgresDir))
      }),
    240_000
  )
})
