/**
 * `pnpm bench <name>` runs the default export of `./<name>.ts` (a function returning a Promise or an
 * Effect), with the remaining arguments. The benchmarks are listed in `Benches.ts`.
 */
import { Effect } from "effect"
import { BENCHES, isBench } from "./Benches.ts"

const [name, ...args] = process.argv.slice(2)
if (name === undefined || !isBench(name)) {
  process.stderr.write(
    "usage: pnpm bench <name> [--quick] [args...], <name> one of:\n" +
      Object.entries(BENCHES)
        .map(([bench, what]) => `  ${bench.padEnd(11)} ${what}\n`)
        .join("") +
      "(--quick: tiny sizes, seconds; pnpm bench:smoke runs every one so)\n"
  )
  process.exit(2)
}

const bench = (await import(`./${name}.ts`)) as { default: (args: ReadonlyArray<string>) => unknown }
const result = bench.default(args)
await (Effect.isEffect(result) ? Effect.runPromise(result as Effect.Effect<unknown>) : result)
