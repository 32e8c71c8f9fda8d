/**
 * Records every module a Node process loads: `node --import <this file> ...` with
 * `MEDALLION_LOADED_MODULES=<file>` writes the URLs, one a line, to that file as the process exits.
 * The start-up test and `pnpm bench cli` read it to see what a command pulls in.
 */
import * as Fs from "node:fs"
import { registerHooks } from "node:module"

const out = process.env["MEDALLION_LOADED_MODULES"]
if (out !== undefined) {
  const loaded = new Set<string>()
  registerHooks({
    load: (url, context, next) => {
      loaded.add(url)
      return next(url, context)
    }
  })
  process.on("exit", () => Fs.writeFileSync(out, [...loaded].join("\n")))
}

/** The URLs a recorded process loaded, from its file. */
export const read = (file: string): ReadonlyArray<string> =>
  Fs.readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")

/** The npm packages among the URLs (by the last `node_modules/<name>` of each path). */
export const packages = (urls: ReadonlyArray<string>): ReadonlySet<string> => {
  const names = new Set<string>()
  for (const url of urls) {
    const match = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
    if (match) names.add(match[1]!)
  }
  return names
}
