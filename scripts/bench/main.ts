/**
 * `pnpm bench <name>` runs the default export of `./<name>.ts` (a function returning a Promise or an
 * Effect), with the remaining arguments.
 */
import { Effect } from "effect"

const [name, ...args] = process.argv.slice(2)
if (name === undefined || !/^[a-z][a-z0-9-]*$/.test(name)) {
  process.stderr.write(
    "usage: pnpm bench <name> [args...], <name> one of bronze, silver, search, workers, scale, extraction, migrate, cli (scale --generate-only writes its trees; extraction, migrate and cli --quick)\n"
  )
  process.exit(2)
}

const bench = (await import(`./${name}.ts`)) as { default: (args: ReadonlyArray<string>) => unknown }
const result = bench.default(args)
await (Effect.isEffect(result) ? Effect.runPromise(result as Effect.Effect<unknown>) : result)
