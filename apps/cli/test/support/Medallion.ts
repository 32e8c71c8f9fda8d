/**
 * The `medallion` command as a real child process: `node --conditions=@medallion/source
 * apps/cli/src/bin.ts ...`, with its own environment and its output kept for the assertions and
 * for the failure messages. A daemon still running when its scope closes is killed with SIGKILL
 * and waited for, so a failed test leaves no process behind.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type Duration, Effect, Option, Schedule, type Scope } from "effect"

export const BIN = Path.resolve(import.meta.dirname, "..", "..", "src", "bin.ts")

/** Only the last part of a chatty daemon's output is kept. */
const KEEP_CHARS = 200_000

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface MedallionProcess {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Both streams, for failure messages. */
  readonly output: () => string
  /** The exit, once it happened. */
  readonly exit: () => Exit | undefined
  /** Waits for the exit. */
  readonly exited: Effect.Effect<Exit>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

export interface MedallionOptions {
  readonly args: ReadonlyArray<string>
  /** Added to the test process's environment; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

const environment = (extra: Readonly<Record<string, string | undefined>> = {}) => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    // The child decides its database from DATABASE_URL and the PG* settings: none leak in from here.
    if (value !== undefined && key !== "DATABASE_URL" && !key.startsWith("PG") && !key.startsWith("MEDALLION_"))
      env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

const launch = (options: MedallionOptions): MedallionProcess => {
  const child = ChildProcess.spawn(process.execPath, ["--conditions=@medallion/source", BIN, ...options.args], {
    env: environment(options.env),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let output = ""
  const keep = (text: string) => (text.length > KEEP_CHARS ? text.slice(-KEEP_CHARS) : text)
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout = keep(stdout + String(chunk))
    output = keep(output + String(chunk))
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = keep(stderr + String(chunk))
    output = keep(output + String(chunk))
  })
  let exit: Exit | undefined
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal }
      resolve(exit)
    })
  )
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    exit: () => exit,
    exited: Effect.promise(() => exited),
    kill: (signal) =>
      Effect.sync(() => {
        if (exit === undefined) child.kill(signal)
      })
  }
}

/** Starts a daemon; it is SIGKILLed (if still running) when the scope closes. */
export const spawn = (options: MedallionOptions): Effect.Effect<MedallionProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => launch(options)),
    (child) => Effect.andThen(child.kill("SIGKILL"), child.exited)
  )

/** Runs a command to its end (status, migrate, a start that must fail). */
export const run = (options: MedallionOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const child = yield* spawn(options)
      const exit = yield* child.exited
      return { ...exit, stdout: child.stdout(), stderr: child.stderr(), output: child.output() }
    })
  )

/** The global flags for a data dir and a config file. */
export const flags = (dataDir: string, configFile: string) => [
  "--data-dir",
  dataDir,
  "--config",
  configFile,
  "--log-format",
  "json"
]

/** A temp folder removed when the scope closes. */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )

/** Writes a JSON document and returns its path. */
export const writeJson = (path: string, document: unknown) => {
  Fs.writeFileSync(path, JSON.stringify(document, null, 2))
  return path
}

/**
 * Polls until `check` holds. It has no limit of its own: the test's timeout bounds it, so a
 * slow machine makes the test slower, never wrong.
 */
export const until = <E, R>(check: Effect.Effect<boolean, E, R>, every = "100 millis" as const) =>
  check.pipe(Effect.repeat({ until: (done: boolean) => done, schedule: Schedule.spaced(every) }), Effect.asVoid)

/**
 * As `until`, with a deadline: after `budget` it fails saying what it waited for (and, given `output`,
 * what the daemons printed), so a test that cannot complete says why instead of hitting its timeout.
 */
export const within = <E, R>(
  what: string,
  check: Effect.Effect<boolean, E, R>,
  output: () => string = () => "",
  budget: Duration.Input = "120 seconds"
) =>
  until(check).pipe(
    Effect.timeoutOption(budget),
    Effect.flatMap((done) =>
      Option.isSome(done)
        ? Effect.void
        : Effect.die(new Error(`gave up waiting for ${what}:\n${output().slice(-3000)}`))
    )
  )
