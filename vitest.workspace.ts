/**
 * The one list of test projects. vitest 5 reads projects only from
 * `test.projects` in `vitest.config.ts`, which imports this list.
 *
 * Every project resolves workspace packages to their TypeScript sources
 * (the `@medallion/source` export condition), so tests need no build.
 */
import { defineProject } from "vitest/config"

const conditions = ["@medallion/source"]

const project = (dir: string, name: string) =>
  defineProject({
    root: dir,
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000
    }
  })

export default [
  project("packages/bronze", "bronze"),
  project("packages/silver", "silver"),
  project("packages/sensors", "sensors"),
  project("packages/workers", "workers"),
  project("apps/cli", "cli"),
  project("apps/fetch-daemon", "fetch-daemon"),
  project("apps/transform-daemon", "transform-daemon"),
  project("examples/custom-pipeline", "example-custom-pipeline"),
  project("scripts", "repo")
]
