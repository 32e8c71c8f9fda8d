import { SensorStore } from "@medallion/sensors"
import { TransformConfig, TransformDaemon } from "@medallion/transform-daemon"
import { Console, Effect } from "effect"
import { Prompt } from "effect/cli"
import * as App from "../App.ts"
import { NotFound, Refused } from "../ExitCode.ts"
import * as Operations from "../Operations.ts"

/**
 * Refuses a sensor name nobody knows: the sensors are those the transform daemon runs and those with
 * state in the database. Steering an unknown name would create state for a sensor that does not exist.
 */
const knownSensor = (app: App.App, sensor: string) =>
  Effect.gen(function* () {
    const store = yield* SensorStore
    const run = TransformDaemon.sensors(TransformConfig.options(app.config, App.plugins(app), app.bronzeRoot)).map(
      (s) => s.name
    )
    const stored = (yield* store.listSensors).map((r) => r.sensor)
    const known = [...new Set([...run, ...stored])].sort()
    if (!known.includes(sensor))
      return yield* new NotFound({ message: `no sensor named ${sensor} (the sensors are: ${known.join(", ")})` })
  })

/** `medallion sensors list`. */
export const list = Effect.fn(function* () {
  yield* Operations.run(() =>
    Effect.gen(function* () {
      const rows = yield* (yield* SensorStore).listSensors
      if (rows.length === 0) yield* Console.log("no sensor has run yet")
      for (const row of rows) {
        const lease =
          row.leaseOwner && row.leaseExpiresAt
            ? `owned by ${row.leaseOwner} until ${row.leaseExpiresAt.toISOString()}`
            : "not owned"
        yield* Console.log(
          `${row.sensor}  ${row.paused ? "paused" : "active"}  ${lease}\n  cursor ${JSON.stringify(row.cursor)}`
        )
      }
    })
  )
})

/** `medallion sensors pause` and `resume`. */
export const setPaused = (paused: boolean) =>
  Effect.fn(function* ({ sensor }: { readonly sensor: string }) {
    yield* Operations.run((app) =>
      Effect.gen(function* () {
        yield* knownSensor(app, sensor)
        const store = yield* SensorStore
        yield* store.setPaused(sensor, paused)
        yield* Console.log(`${sensor} ${paused ? "paused: its ticks are skipped until resumed" : "resumed"}`)
      })
    )
  })

/** `medallion sensors reset`. */
export const reset = Effect.fn(function* ({ sensor, yes }: { readonly sensor: string; readonly yes: boolean }) {
  const confirmed =
    yes ||
    (yield* Prompt.run(
      Prompt.Confirm({
        message: `Reset the cursor of ${sensor}? Everything it covers is handed out again (runs are idempotent, so silver ends the same).`
      })
    ))
  if (!confirmed) return yield* Console.log("nothing changed")
  yield* Operations.run((app) =>
    Effect.gen(function* () {
      yield* knownSensor(app, sensor)
      // Refused while a live daemon owns the sensor: its in-memory position would overwrite the reset.
      const outcome = yield* (yield* SensorStore).resetCursor(sensor)
      if (outcome._tag === "Reset")
        return yield* Console.log(`${sensor}: cursor reset; the next tick starts from the beginning`)
      // A sensor the daemon runs that never ticked has no cursor to reset.
      if (outcome._tag === "NoState") return yield* Console.log(`${sensor} has not run yet: it has no cursor to reset`)
      return yield* new Refused({
        message: `${sensor} is owned by a running daemon (${outcome.owner}); stop the transform daemons first`
      })
    })
  )
})
