import { assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Redacted, Schedule } from "effect"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

const alive = EmbeddedPostgres.isAlive

/** Polls until `done` holds; the suite's own timeout bounds the wait. */
const eventually = (done: () => boolean) =>
  Effect.suspend(() => (done() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry(Schedule.spaced("200 millis")),
    Effect.orDie
  )

describe("EmbeddedPostgres", () => {
  it.live(
    "starts a real server, reuses its data folder, and stops on scope close",
    () =>
      Effect.gen(function* () {
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-embedded-"))
        const dataDir = Path.join(root, "pg")
        const first = yield* Effect.scoped(
          Effect.map(EmbeddedPostgres.start({ dataDir }), (server) => ({ pid: server.pid, url: server.adminUrl }))
        )
        assert.isFalse(alive(first.pid), "the server stops with its scope")
        // A second start on the same folder reuses the cluster, its password and its port.
        const second = yield* Effect.scoped(
          Effect.map(EmbeddedPostgres.start({ dataDir }), (server) => ({ pid: server.pid, url: server.adminUrl }))
        )
        assert.notStrictEqual(second.pid, first.pid)
        assert.strictEqual(Redacted.value(second.url), Redacted.value(first.url))
        Fs.rmSync(root, { recursive: true, force: true })
      }),
    60_000
  )

  it.live(
    "leaves no orphan server when its owner is SIGKILLed",
    () =>
      Effect.gen(function* () {
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-orphan-"))
        const dataDir = Path.join(root, "pg")
        const child = spawn(process.execPath, [Path.join(import.meta.dirname, "child/startServer.ts"), dataDir], {
          stdio: ["ignore", "pipe", "inherit"]
        })
        const line = yield* Effect.callback<string>((resume) => {
          child.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk.toString())))
        })
        const { pid } = JSON.parse(line) as { pid: number }
        assert.isTrue(alive(pid))
        child.kill("SIGKILL")
        yield* eventually(() => !alive(pid) && !Fs.existsSync(dataDir))
        Fs.rmSync(root, { recursive: true, force: true })
      }),
    60_000
  )

  it.live(
    "a second process attaches to a running server; a stale server of a dead owner is replaced",
    () =>
      Effect.gen(function* () {
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-attach-"))
        const dataDir = Path.join(root, "pg")
        const child = spawn(
          process.execPath,
          [Path.join(import.meta.dirname, "child/startServer.ts"), dataDir, "keep"],
          {
            stdio: ["ignore", "pipe", "inherit"]
          }
        )
        const line = yield* Effect.callback<string>((resume) => {
          child.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk.toString())))
        })
        const { pid } = JSON.parse(line) as { pid: number }

        // Without `attach`, a server owned by another live process is refused.
        const refused = yield* Effect.scoped(EmbeddedPostgres.start({ dataDir })).pipe(Effect.flip)
        assert.match(refused.message, /in use by process/)

        // With `attach`, this process uses it and leaves it running.
        const attached = yield* Effect.scoped(
          Effect.map(EmbeddedPostgres.start({ dataDir, attach: true }), (s) => ({ pid: s.pid, owned: s.owned }))
        )
        assert.deepStrictEqual(attached, { pid, owned: false })
        assert.isTrue(alive(pid))

        // Kill the owner and its watchdog together: the server is left stale.
        const watchdogs = spawnSync("pgrep", ["-f", `postmaster.pid`], { encoding: "utf8" }).stdout.trim().split("\n")
        for (const w of watchdogs.filter(Boolean)) {
          const cmd = Fs.readFileSync(`/proc/${w}/cmdline`, "utf8")
          if (cmd.includes(dataDir)) process.kill(Number(w), "SIGKILL")
        }
        child.kill("SIGKILL")
        yield* eventually(() => !alive(child.pid!))
        assert.isTrue(alive(pid), "the server outlived its owner")

        const restarted = yield* Effect.scoped(
          Effect.map(EmbeddedPostgres.start({ dataDir, attach: true }), (s) => ({ pid: s.pid, owned: s.owned }))
        )
        assert.isTrue(restarted.owned)
        assert.notStrictEqual(restarted.pid, pid)
        assert.isFalse(alive(pid), "the stale server was stopped")
        Fs.rmSync(root, { recursive: true, force: true })
      }),
    60_000
  )
})
