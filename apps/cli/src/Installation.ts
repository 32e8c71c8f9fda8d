/**
 * Where an operator command finds the installation it reads. A data dir holds one once `start`, `demo`
 * or `migrate` created its embedded database there (`<data dir>/postgres`), or when `DATABASE_URL` names
 * the database. Only those commands create one: an operator command on a folder with none says which
 * folder it looked at and how to get one, and exits 2, rather than creating and migrating an empty
 * database and reporting zeros. When the default data dir has none but the demo's (`<data dir>/demo`,
 * where `medallion demo` keeps its data) has one, that one is used, with a line on stderr saying so.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Config, Console, Context, Effect, Option, Schema } from "effect"
import { DEFAULT_DATA_DIR } from "./GlobalOptions.ts"
import { root } from "./Root.ts"

/** The data dir holds no installation (exit 2: the command was pointed at the wrong place). */
export class NoInstallation extends Schema.TaggedError<NoInstallation>()("NoInstallation", {
  message: Schema.String
}) {}

/** The data dir `locate` found for an operator command; `App.resolve` uses it over `--data-dir`. */
export const LocatedDataDir = Context.Reference<string | undefined>("@medallion/cli/Installation/LocatedDataDir", {
  defaultValue: () => undefined
})

/** The sub-folder of the data dir where `medallion demo` keeps its installation. */
export const DEMO_DIR = "demo"

/** Whether a data dir holds an embedded database (an initialised cluster under `postgres/`). */
export const hasDatabase = (dataDir: string): boolean => Fs.existsSync(Path.join(dataDir, "postgres", "PG_VERSION"))

/** A folder as the operator would type it: relative when under the working directory. */
const shown = (dir: string) => {
  const relative = Path.relative(process.cwd(), dir)
  return relative !== "" && !relative.startsWith("..") && !Path.isAbsolute(relative) ? relative : dir
}

/** The data dir holding the installation an operator command reads, or `NoInstallation`. */
export const locate = Effect.gen(function* () {
  const flags = yield* root
  const dataDir = Path.resolve(flags.dataDir)
  if (Option.isSome(yield* Config.option(Config.String("DATABASE_URL")))) return dataDir
  if (hasDatabase(dataDir)) return dataDir
  const demo = Path.join(dataDir, DEMO_DIR)
  const demoInstalled = hasDatabase(demo)
  if (demoInstalled && flags.dataDir === DEFAULT_DATA_DIR) {
    yield* Console.error(
      `medallion: no installation in ${shown(dataDir)}; found the demo's installation at ${shown(demo)} and using it (--data-dir chooses another)`
    )
    return demo
  }
  return yield* new NoInstallation({
    message:
      `no installation in ${dataDir}: it holds no database (${Path.join(dataDir, "postgres")} does not exist) and DATABASE_URL is not set. ` +
      (demoInstalled ? `The demo's installation is there: --data-dir ${shown(demo)}. ` : "") +
      "Start one there with `medallion start` (or `medallion demo`), or point at yours with --data-dir DIR (env MEDALLION_DATA_DIR) or DATABASE_URL."
  })
})

/** An operator command's handler, run only once its installation is found, on that installation. */
export const required =
  <A, E, R>(handler: (input: A) => Effect.Effect<void, E, R>) =>
  (input: A) =>
    Effect.flatMap(locate, (dataDir) => Effect.provideService(handler(input), LocatedDataDir, dataDir))
