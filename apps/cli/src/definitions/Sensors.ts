import { Argument, Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

const load = () => import("../commands/Sensors.ts")

const name = Argument.String("sensor").pipe(
  Argument.withDescription("The sensor's name (see `medallion sensors list`)")
)

const list = Command.make("list").pipe(
  Command.withDescription("List the sensors, their state, owner and cursor"),
  Command.withHandler(Installation.required(Lazy.handler(load, (m) => m.list)))
)

const setPaused = (paused: boolean) =>
  Command.make(paused ? "pause" : "resume", { sensor: name }).pipe(
    Command.withDescription(
      paused
        ? "Pause a sensor: the daemon that owns it skips its ticks (runs already requested finish)"
        : "Resume a paused sensor"
    ),
    Command.withHandler(Installation.required(Lazy.handler(load, (m) => m.setPaused(paused))))
  )

const reset = Command.make("reset", {
  sensor: name,
  yes: Flag.Boolean("yes").pipe(Flag.withDescription("Do not ask for confirmation"), Flag.withDefault(false))
}).pipe(
  Command.withDescription(
    "Reset a sensor's cursor to the beginning, after a confirmation (stop the transform daemons first)"
  ),
  Command.withHandler(Installation.required(Lazy.handler(load, (m) => m.reset)))
)

export const sensors = Command.make("sensors").pipe(
  Command.withDescription("Inspect and steer the sensors: list, pause, resume, reset"),
  Command.withSubcommands([list, setPaused(true), setPaused(false), reset])
)
