#!/usr/bin/env node
// The `medallion` bin. In a checkout it runs the TypeScript source (Node strips the types), so it works
// right after `pnpm install` and always runs the code you see, never a stale build; installed as a
// dependency (under node_modules, where Node does not strip types) it runs the build in `dist`.
import { existsSync, realpathSync } from "node:fs"
import * as Module from "node:module"
import { fileURLToPath } from "node:url"

const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `medallion: needs Node 22.19 or newer, this is Node ${process.versions.node}; ` +
      `without one on PATH: npx -y -p node@22 -p pnpm@12.4.2 -c 'pnpm exec medallion ...'\n`
  )
  process.exit(1)
}

const here = realpathSync(fileURLToPath(import.meta.url))
const source = new URL("../src/bin.ts", import.meta.url)
const build = new URL("../dist/bin.js", import.meta.url)
const inCheckout = !here.split(/[\\/]/).includes("node_modules") && existsSync(source)

if (inCheckout) {
  // What `node --conditions=@medallion/source` does: workspace packages resolve to their `src`.
  Module.registerHooks({
    resolve: (specifier, context, next) =>
      next(specifier, { ...context, conditions: [...context.conditions, "@medallion/source"] })
  })
  await import(source.href)
} else {
  await import(build.href)
}
