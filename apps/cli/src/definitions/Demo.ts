import { Effect } from "effect"
import { Command } from "effect/cli"

export const demo = Command.make("demo").pipe(
  Command.withDescription(
    "Offline demo: a loopback server with real captured data (Hacker News stories, pages, a podcast with audio, a Whisper-compatible API) feeds both daemons on the embedded PostgreSQL, under <data dir>/demo."
  ),
  // The demo's module defines its command whole (no flags, no arguments): run that one, with no input.
  Command.withHandler(() =>
    Effect.flatMap(
      Effect.promise(() => import("../commands/Demo.ts")),
      (m) => Command.runWith(m.demo, { version: "0.1.0" })([])
    )
  )
)
