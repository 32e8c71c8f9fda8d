/**
 * Checks unpacked package tarballs (`pnpm pack` output, each extracted into its own folder) for the shape
 * a registry user gets: no workspace or catalog specifiers left, Effect as a peer dependency only, every
 * `exports` and `bin` target present, and a build that matches the sources (a `.js`, `.d.ts` and source
 * map for every source module, and no output whose source is gone).
 *
 *   node scripts/pack/inspectPackages.ts <folder with one unpacked package per subfolder>
 *
 * Plain Node (no Effect, no vitest): it runs before anything is installed from the tarballs.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly exports?: Record<string, Record<string, string>>
  readonly bin?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly optionalDependencies?: Record<string, string>
}

const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies"] as const

/** Every file under `dir`, as paths relative to it with `/` separators. */
const filesUnder = (dir: string): Array<string> =>
  Fs.existsSync(dir)
    ? (Fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<Fs.Dirent>)
        .filter((entry) => entry.isFile())
        .map((entry) => Path.relative(dir, Path.join(entry.parentPath, entry.name)).split(Path.sep).join("/"))
    : []

/** The problems of one unpacked package; empty when it is fine. */
const inspect = (root: string): Array<string> => {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8")) as Manifest
  const problems: Array<string> = []
  const problem = (text: string) => problems.push(`${manifest.name}: ${text}`)

  if (manifest.private) problem("is private")
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range)) problem(`${field}.${name} is still "${range}"`)
    }
  }
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name === "effect" || name.startsWith("@effect/")) problem(`${name} is a dependency, not a peer dependency`)
  }
  if (manifest.peerDependencies?.["effect"] === undefined) problem("has no peer dependency on effect")

  const exists = (target: string) => Fs.existsSync(Path.join(root, target))
  for (const [entry, conditions] of Object.entries(manifest.exports ?? {})) {
    for (const condition of ["types", "default"]) {
      const target = conditions[condition]
      if (target === undefined) problem(`exports["${entry}"] has no "${condition}"`)
      else if (!exists(target)) problem(`exports["${entry}"].${condition} -> ${target} is not in the package`)
    }
  }
  for (const [command, target] of Object.entries(manifest.bin ?? {})) {
    if (!exists(target)) problem(`bin.${command} -> ${target} is not in the package`)
    else if (!Fs.readFileSync(Path.join(root, target), "utf8").startsWith("#!/usr/bin/env node")) {
      problem(`bin.${command} -> ${target} has no "#!/usr/bin/env node" line`)
    }
  }

  const sources = filesUnder(Path.join(root, "src")).filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  const built = new Set(filesUnder(Path.join(root, "dist")))
  if (sources.length === 0) problem("has no sources under src/")
  for (const source of sources) {
    const base = source.slice(0, -".ts".length)
    for (const output of [`${base}.js`, `${base}.d.ts`, `${base}.js.map`]) {
      if (!built.has(output)) problem(`dist/${output} is missing (from src/${source})`)
    }
  }
  const sourceSet = new Set(sources)
  for (const output of built) {
    if (output.endsWith(".js") && !sourceSet.has(`${output.slice(0, -".js".length)}.ts`)) {
      problem(`dist/${output} has no source (a stale build: remove dist/ and build again)`)
    }
  }
  return problems
}

const main = (folder: string) => {
  const packages = Fs.readdirSync(folder).map((name) => Path.join(folder, name))
  const problems = packages.flatMap(inspect)
  for (const text of problems) console.error(`pack-check: ${text}`)
  if (problems.length > 0) process.exit(1)
  console.log(`pack-check: ${packages.length} package(s) have the published shape`)
}

const folder = process.argv[2]
if (folder === undefined) {
  console.error("usage: node scripts/pack/inspectPackages.ts <folder of unpacked packages>")
  process.exit(2)
}
main(folder)
