/**
 * A TypeScript script run as a real child process (`node --conditions=@medallion/source script`), for
 * crash tests: its output is kept for the assertions, `kill` sends SIGKILL and waits for the exit, and a
 * child still running when the scope closes is killed the same way, so a failed test leaves none behind.
 */
import * as ChildProcess from "node:child_process"
import { Effect, type Scope } from "effect"

export interface ChildScript {
  readonly process: ChildProcess.ChildProcess
  /** stdout and stderr so far. */
  readonly output: () => string
  /** Resolves once the child exited. */
  readonly exited: Promise<void>
  /** SIGKILL, then waits for the exit. */
  readonly kill: Effect.Effect<void>
}

/** Starts `script` with the test's environment plus `env`. */
export const spawn = (
  script: string,
  env: Readonly<Record<string, string>>
): Effect.Effect<ChildScript, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync((): ChildScript => {
      const child = ChildProcess.spawn(process.execPath, ["--conditions=@medallion/source", script], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (chunk) => (output += String(chunk)))
      child.stderr.on("data", (chunk) => (output += String(chunk)))
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      return {
        process: child,
        output: () => output,
        exited,
        kill: Effect.promise(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
          return exited
        })
      }
    }),
    (child) => child.kill
  )
