import { assert, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Clock, Effect } from "effect"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"
import * as ChildScript from "../src/testing/ChildScript.ts"

const CHILD = Path.join(import.meta.dirname, "child/startWindow.ts")
const KILLS = 10

/** Processes whose working directory is the data folder: the postmaster and its children chdir there. */
const processesIn = (dataDir: string): ReadonlyArray<number> =>
  Fs.readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return Fs.readlinkSync(`/proc/${pid}/cwd`) === dataDir
      } catch {
        return false
      }
    })
    .map(Number)

/** No server of this data folder runs: none in its pid file, no process working in it. */
const serverGone = (dataDir: string) =>
  EmbeddedPostgres.runningServerPid(dataDir) === undefined && processesIn(dataDir).length === 0

const survivors = (dataDir: string) =>
  `pid file names ${EmbeddedPostgres.runningServerPid(dataDir) ?? "no live process"}, processes in ${dataDir}: ${processesIn(dataDir).join(", ") || "none"}`

/** Polls until `done` holds, or fails with `what` after `seconds`. */
const waitFor = (done: () => boolean, seconds: number, what: () => string) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + seconds * 1000
    while (!done()) {
      if ((yield* Clock.currentTimeMillis) > deadline)
        return yield* Effect.die(new Error(`after ${seconds} s: ${what()}`))
      yield* Effect.sleep("100 millis")
    }
  })

const lineSeen = (child: ChildScript.ChildScript, line: string) => () => child.output().split("\n").includes(line)

it.live(
  `a SIGKILL of the owner at ${KILLS} random moments of the start window never leaves a server running`,
  () =>
    Effect.gen(function* () {
      if (process.platform !== "linux") return
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "medallion-start-window-"))
      const dataDir = Path.join(root, "pg")
      // The cluster exists first, so each start is the start window alone (no initdb).
      yield* Effect.scoped(EmbeddedPostgres.start({ dataDir, settings: EmbeddedPostgres.unsafeFastSettings }))

      // How long a start takes here, from the child's `starting` to its `ready`.
      const window = yield* Effect.scoped(
        Effect.gen(function* () {
          const child = yield* ChildScript.spawn(CHILD, { START_WINDOW_DATA_DIR: dataDir })
          yield* waitFor(lineSeen(child, "starting"), 60, () => `the child did not start: ${child.output()}`)
          const from = yield* Clock.currentTimeMillis
          yield* waitFor(lineSeen(child, "ready"), 90, () => `the server did not start: ${child.output()}`)
          const took = (yield* Clock.currentTimeMillis) - from
          yield* child.kill
          yield* waitFor(
            () => serverGone(dataDir),
            90,
            () => `the watchdog did not stop the calibration server: ${survivors(dataDir)}`
          )
          return took
        })
      )

      const seed = Date.now() >>> 0
      let state = seed
      const random = () => {
        // mulberry32: the seed in a failure message replays the same kill moments.
        state = (state + 0x6d2b79f5) >>> 0
        let t = state
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
      }
      const killedAt: Array<number> = []
      let killedWhileStarting = 0
      for (let i = 0; i < KILLS; i++) {
        const delay = Math.floor(random() * window)
        killedAt.push(delay)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const child = yield* ChildScript.spawn(CHILD, { START_WINDOW_DATA_DIR: dataDir })
            yield* waitFor(lineSeen(child, "starting"), 60, () => `the child did not start: ${child.output()}`)
            yield* Effect.sleep(delay)
            if (!lineSeen(child, "ready")()) killedWhileStarting++
            yield* child.kill
          })
        )
        yield* waitFor(
          () => serverGone(dataDir),
          90,
          () =>
            `seed ${seed}, kill ${i + 1} at ${delay} ms of a ${window} ms start: a server survived its owner: ${survivors(dataDir)}`
        )
      }
      assert.isAbove(
        killedWhileStarting,
        0,
        `seed ${seed}: no kill fell inside the start window (${killedAt.join(", ")} ms of ${window} ms)`
      )
      Fs.rmSync(root, { recursive: true, force: true })
    }),
  300_000
)
