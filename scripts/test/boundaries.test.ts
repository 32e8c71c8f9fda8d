/**
 * Proves that the workspace rules bite: each case adds a forbidden import to a
 * real source folder, runs the same gates as `pnpm check` (the TypeScript
 * build and dependency-cruiser), and expects a failure that names the rule.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterEach, beforeAll, describe, expect, it } from "vitest"

const root = Path.resolve(import.meta.dirname, "../..")
const created: Array<string> = []

afterEach(() => {
  for (const file of created.splice(0)) Fs.rmSync(file, { force: true })
})

// A run killed mid-test leaves its probe files behind: remove any before starting.
beforeAll(() => {
  for (const dir of [
    "packages/bronze/src",
    "packages/silver/src",
    "packages/workers/src",
    "packages/workers/src/fetch",
    "packages/workers/src/plugins/reddit/fetch",
    "packages/workers/src/plugins/youtube/fetch",
    "packages/migrate/src",
    "packages/migrate/src/verify"
  ]) {
    for (const name of Fs.readdirSync(Path.join(root, dir))) {
      if (/^Violation\d+/.test(name)) Fs.rmSync(Path.join(root, dir, name), { force: true })
    }
  }
})

const addFile = (relative: string, source: string) => {
  const file = Path.join(root, relative)
  Fs.mkdirSync(Path.dirname(file), { recursive: true })
  Fs.writeFileSync(file, source)
  created.push(file)
  return relative
}

const bin = (name: string) => Path.join(root, "node_modules/.bin", name)

const depcruise = (file: string) =>
  spawnSync(bin("depcruise"), ["--config", ".dependency-cruiser.cjs", file], { cwd: root, encoding: "utf8" })

const tscBuild = (project: string) => spawnSync(bin("tsc"), ["-b", project], { cwd: root, encoding: "utf8" })

const tscCheck = (project: string) =>
  spawnSync(bin("tsc"), ["-p", project, "--noEmit"], { cwd: root, encoding: "utf8" })

const unique = () => `Violation${process.pid}${Math.floor(Math.random() * 1e9)}`

describe("workspace boundaries", () => {
  it("the clean tree passes both gates", () => {
    const cruise = spawnSync(bin("depcruise"), ["--config", ".dependency-cruiser.cjs", "packages", "apps"], {
      cwd: root,
      encoding: "utf8"
    })
    expect(cruise.stdout).toContain("no dependency violations found")
    expect(cruise.status).toBe(0)
  })

  it("bronze importing @medallion/silver fails typecheck and the dependency rules", () => {
    const file = addFile(
      `packages/bronze/src/${unique()}.ts`,
      `import * as S from "@medallion/silver"\nexport const x = S\n`
    )
    const tsc = tscBuild("packages/bronze/tsconfig.src.json")
    expect(tsc.status).not.toBe(0)
    expect(tsc.stdout).toContain("TS2307")
    const cruise = depcruise(file)
    expect(cruise.status).not.toBe(0)
    expect(cruise.stdout).toContain("bronze-imports-no-workspace-package")
  })

  it("bronze importing silver by a relative path fails both gates", () => {
    const file = addFile(
      `packages/bronze/src/${unique()}.ts`,
      `import * as S from "../../silver/src/index.ts"\nexport const x = S\n`
    )
    // The build gate fails; once the packages are built, it names bronze's own
    // declarations (silver's source imports them back, TS5055) rather than the
    // import, so the cause is read from a check that writes nothing.
    expect(tscBuild("packages/bronze/tsconfig.src.json").status).not.toBe(0)
    const tsc = tscCheck("packages/bronze/tsconfig.src.json")
    expect(tsc.status).not.toBe(0)
    expect(tsc.stdout).toMatch(/TS6059: File '[^']*packages\/silver\/src\/index\.ts' is not under 'rootDir'/)
    const cruise = depcruise(file)
    expect(cruise.stdout).toContain("bronze-imports-no-workspace-package")
    expect(cruise.stdout).toContain("no-relative-import-across-packages")
  })

  it("silver importing sensors is refused", () => {
    const file = addFile(
      `packages/silver/src/${unique()}.ts`,
      `import * as S from "../../sensors/src/index.ts"\nexport const x = S\n`
    )
    expect(depcruise(file).stdout).toContain("silver-never-imports-upward")
  })

  it("a package importing an app is refused", () => {
    const file = addFile(
      `packages/workers/src/${unique()}.ts`,
      `import * as A from "../../../apps/cli/src/index.ts"\nexport const x = A\n`
    )
    expect(depcruise(file).stdout).toContain("no-package-imports-an-app")
  })

  it("the fetch side of workers importing silver is refused", () => {
    const file = addFile(
      `packages/workers/src/fetch/${unique()}.ts`,
      `import * as S from "@medallion/silver"\nexport const x = S\n`
    )
    expect(depcruise(file).stdout).toContain("fetch-side-knows-nothing-of-silver")
  })

  it("a plug-in's fetch side importing silver or its own transform is refused", () => {
    const direct = addFile(
      `packages/workers/src/plugins/reddit/fetch/${unique()}.ts`,
      `import * as S from "@medallion/silver"\nexport const x = S\n`
    )
    expect(depcruise(direct).stdout).toContain("plugin-fetch-side-never-reaches-silver")
    const throughTransform = addFile(
      `packages/workers/src/plugins/reddit/fetch/${unique()}.ts`,
      `import { reddit } from "../transform/RedditTransform.ts"\nexport const x = reddit\n`
    )
    expect(depcruise(throughTransform).stdout).toContain("plugin-fetch-side-never-reaches-silver")
    const youtube = addFile(
      `packages/workers/src/plugins/youtube/fetch/${unique()}.ts`,
      `import { youtube } from "../transform/YoutubeTransform.ts"\nexport const x = youtube\n`
    )
    expect(depcruise(youtube).stdout).toContain("plugin-fetch-side-never-reaches-silver")
  })

  it("the migration's run path importing silver, directly or through the workers' transform, is refused", () => {
    const direct = addFile(
      `packages/migrate/src/${unique()}.ts`,
      `import * as S from "@medallion/silver"\nexport const x = S\n`
    )
    expect(depcruise(direct).stdout).toContain("migrate-run-knows-nothing-of-silver")
    const throughTransform = addFile(
      `packages/migrate/src/${unique()}.ts`,
      `import { TransformJob } from "@medallion/workers"\nexport const x = TransformJob\n`
    )
    expect(depcruise(throughTransform).stdout).toContain("migrate-run-knows-nothing-of-silver")
    const throughVerify = addFile(
      `packages/migrate/src/${unique()}.ts`,
      `import { Verify } from "./verify/index.ts"\nexport const x = Verify\n`
    )
    expect(depcruise(throughVerify).stdout).toContain("migrate-run-knows-nothing-of-silver")
  })

  it("the migration importing the fetch side's sources (its barrel), rather than its records, is refused", () => {
    const file = addFile(
      `packages/migrate/src/${unique()}.ts`,
      `import { FeedSource } from "@medallion/workers/fetch"\nexport const x = FeedSource\n`
    )
    expect(depcruise(file).stdout).toContain("migrate-loads-no-source")
  })

  it("the migration's verify module may read silver; packages below never import the migration", () => {
    const verify = addFile(
      `packages/migrate/src/verify/${unique()}.ts`,
      `import type { Status } from "@medallion/silver"\nexport type X = Status.FetchStatus\n`
    )
    const allowed = depcruise(verify)
    expect(allowed.stdout).toContain("no dependency violations found")
    const below = addFile(
      `packages/workers/src/${unique()}.ts`,
      `import * as M from "../../migrate/src/index.ts"\nexport const x = M\n`
    )
    expect(depcruise(below).stdout).toContain("nothing-below-imports-the-migration")
  })

  it("the S3 store and the embedded PostgreSQL stay behind their own entry points", () => {
    const s3 = addFile(
      `packages/workers/src/${unique()}.ts`,
      `import { S3Bronze } from "@medallion/bronze/s3"\nexport const x = S3Bronze\n`
    )
    expect(depcruise(s3).stdout).toContain("s3-store-behind-its-own-entry")
    const embedded = addFile(
      `packages/silver/src/${unique()}.ts`,
      `import * as E from "./EmbeddedPostgres.ts"\nexport const x = E\n`
    )
    expect(depcruise(embedded).stdout).toContain("embedded-postgres-behind-its-own-entry")
  })

  it("an import cycle is refused", () => {
    const name = unique()
    const a = addFile(
      `packages/bronze/src/${name}A.ts`,
      `import { b } from "./${name}B.ts"\nexport const a = () => b\n`
    )
    addFile(`packages/bronze/src/${name}B.ts`, `import { a } from "./${name}A.ts"\nexport const b = () => a\n`)
    expect(depcruise(a).stdout).toContain("no-circular")
  })
})
