#!/usr/bin/env node
// The `medallion` bin. In a checkout it runs the TypeScript source (Node strips the types), so it works
// right after `pnpm install` and always runs the code you see, never a stale build; installed as a
// dependency (under node_modules, where Node does not strip types) it runs the build in `dist`.
import { existsSync, realpathSync } from "node:fs"
import { registerHooks } from "node:module"
import { fileURLToPath } from "node:url"

const here = realpathSync(fileURLToPath(import.meta.url))
const source = new URL("../src/bin.ts", import.meta.url)
const build = new URL("../dist/bin.js", import.meta.url)
const inCheckout = !here.split(/[\\/]/).includes("node_modules") && existsSync(source)

if (inCheckout) {
  // What `node --conditions=@medallion/source` does: workspace packages resolve to their `src`.
  registerHooks({
    resolve: (specifier, context, next) =>
      next(specifier, { ...context, conditions: [...context.conditions, "@medallion/source"] })
  })
  await import(source.href)
} else {
  await import(build.href)
}
