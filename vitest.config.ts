import { defineConfig } from "vitest/config"
import projects from "./vitest.workspace.ts"

export default defineConfig({
  resolve: { conditions: ["@medallion/source"] },
  ssr: { resolve: { conditions: ["@medallion/source"] } },
  test: {
    projects,
    globalSetup: [
      // The unit run needs no database, so it starts none.
      ...(process.env.MEDALLION_TEST_UNIT ? [] : ["./scripts/vitest/postgres.ts"]),
      ...(process.env.MEDALLION_TEST_S3 ? ["./scripts/vitest/radosgw.ts"] : [])
    ],
    // The database tests of one file share a database; files run in parallel.
    passWithNoTests: false
  }
})
