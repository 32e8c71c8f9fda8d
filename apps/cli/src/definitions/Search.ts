import { Argument, Command, Flag } from "effect/cli"
import * as Installation from "../Installation.ts"
import * as Lazy from "../Lazy.ts"

/** An integer flag refused outside `[min, max]`, so a bad value is a clear error rather than a database one. */
const bounded = (name: string, description: string, fallback: number, min: number, max: number) =>
  Flag.Int(name).pipe(
    Flag.withDescription(description),
    Flag.withDefault(fallback),
    Flag.mapTryCatch(
      (value) => {
        if (value < min || value > max) throw new Error(`--${name}: ${value} is not between ${min} and ${max}`)
        return value
      },
      (error) => String(error instanceof Error ? error.message : error)
    )
  )

export const search = Command.make("search", {
  text: Argument.String("query").pipe(
    Argument.withDescription('Words to look for in titles and body text: "a phrase", a or b, -excluded')
  ),
  limit: bounded("limit", "How many hits (1-1000)", 10, 1, 1000),
  offset: bounded("offset", "Hits to skip: the next page starts at offset + limit", 0, 0, 1_000_000),
  language: Flag.String("language").pipe(
    Flag.withDescription("Only items in this language (e.g. fr), with its stemming"),
    Flag.optional
  ),
  source: Flag.String("source").pipe(Flag.withDescription("Only items of this source type"), Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the hits as JSON, for scripts"), Flag.withDefault(false))
}).pipe(
  Command.withDescription("Full-text search over silver (titles and body_text), best matches first"),
  Command.withHandler(
    Installation.required(
      Lazy.handler(
        () => import("../commands/Search.ts"),
        (m) => m.handler
      )
    )
  )
)
