/**
 * The one list of test projects. vitest 5 reads projects only from
 * `test.projects` in `vitest.config.ts`, which imports this list.
 *
 * Every project resolves workspace packages to their TypeScript sources
 * (the `@medallion/source` export condition), so tests need no build.
 *
 * Tests named `*.s3.test.ts` need an S3-compatible server (a throwaway Ceph
 * radosgw, see scripts/vitest/radosgw.ts): they run with `pnpm test:s3`, which
 * sets MEDALLION_TEST_S3, and are left out of the default run otherwise.
 * `pnpm test:unit` sets MEDALLION_TEST_UNIT to leave out the database tests
 * (`*.db.test.ts`) as well: a project's own `exclude` replaces the command
 * line's, so the choice has to be made here.
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
      exclude: [
        ...(process.env.MEDALLION_TEST_S3 ? [] : ["**/*.s3.test.ts"]),
        ...(process.env.MEDALLION_TEST_UNIT ? ["**/*.db.test.ts", "**/*.s3.test.ts"] : [])
      ],
      testTimeout: 30_000,
      hookTimeout: 60_000
    }
  })

export default [
  project("packages/bronze", "bronze"),
  project("packages/silver", "silver"),
  project("packages/sensors", "sensors"),
  project("packages/queue", "queue"),
  project("packages/workers", "workers"),
  project("apps/cli", "cli"),
  project("apps/fetch-daemon", "fetch-daemon"),
  project("apps/transform-daemon", "transform-daemon"),
  project("examples/custom-pipeline", "example-custom-pipeline"),
  project("scripts", "repo")
]
