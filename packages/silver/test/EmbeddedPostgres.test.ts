import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
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
})
