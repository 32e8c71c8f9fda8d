/**
 * The benchmarks cannot drop out of the smoke run: every module in `scripts/bench` with a default export
 * (what `pnpm bench <name>` runs) is registered in `Benches.ts`, which `pnpm bench:smoke` walks, and
 * each one reads `--quick`. The smoke run itself (in CI) shows they still work.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"
import { BENCHES } from "../bench/Benches.ts"

const dir = Path.resolve(import.meta.dirname, "../bench")
const source = (name: string) => Fs.readFileSync(Path.join(dir, `${name}.ts`), "utf8")

describe("benchmarks", () => {
  it("every bench module is registered, so the smoke run covers it", () => {
    const modules = Fs.readdirSync(dir)
      .filter((file) => file.endsWith(".ts"))
      .map((file) => file.slice(0, -3))
      .filter((name) => /^export default /m.test(source(name)))
    expect(modules.sort()).toEqual(Object.keys(BENCHES).sort())
  })

  it.each(Object.keys(BENCHES))("%s has a quick mode", (name) => {
    expect(source(name)).toContain(`"--quick"`)
  })
})
