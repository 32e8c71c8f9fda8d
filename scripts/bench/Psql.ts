/**
 * `psql` for the benchmarks' COPY baselines: @effect/sql-pg does not speak the COPY sub-protocol, so a
 * COPY runs through the client the machine has (`PSQL`, `psql` on the PATH, or Debian's PostgreSQL 15).
 */
import { spawnSync } from "node:child_process"
import { Redacted } from "effect"

/** The first psql that runs, if any. */
export const binary = (): string | undefined =>
  [process.env["PSQL"], "psql", "/usr/lib/postgresql/15/bin/psql"]
    .filter((c): c is string => !!c)
    .find((c) => spawnSync(c, ["--version"], { encoding: "utf8" }).status === 0)

/** Runs a script with psql, the password out of the URL (in the environment instead); its output. */
export const run = (psql: string, url: Redacted.Redacted<string>, script: string): string => {
  const target = new URL(Redacted.value(url))
  const password = decodeURIComponent(target.password)
  target.password = ""
  const result = spawnSync(psql, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", target.toString()], {
    input: script,
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: password }
  })
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`)
  return result.stdout.trim()
}
