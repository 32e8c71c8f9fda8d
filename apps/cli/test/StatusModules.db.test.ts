/**
 * What `medallion status` loads on a real installation whose configuration names every built-in source:
 * the configuration's decoder and the report need the plug-ins' entries, names and versions, not their
 * code, so none of the parsers, extractors, the extraction pool, the run queue or the S3 SDK is loaded
 * (each is imported where it is used). Checked by module name on a real process, not by time.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { TestDatabase } from "@medallion/silver/testing"
import { Effect, Redacted } from "effect"
import * as LoadedModules from "./support/LoadedModules.ts"
import * as Medallion from "./support/Medallion.ts"

const RECORDER = Path.resolve(import.meta.dirname, "support", "LoadedModules.ts")

/** What `status` must not load, with what it is. */
const HEAVY: ReadonlyArray<readonly [string, string]> = [
  ["@aws-sdk/client-s3", "the S3 SDK"],
  ["feedsmith", "the feed parser"],
  ["linkedom", "the HTML parser"],
  ["@mozilla/readability", "the article extractor"],
  ["franc", "language detection"],
  ["piscina", "the extraction thread pool"],
  ["graphile-worker", "the run queue"],
  ["ws", "a WebSocket server (the health endpoint's HTTP server)"],
  ["cli-progress", "progress bars"]
]

describe("medallion status", () => {
  it.live(
    "loads no parser, extractor, pool, queue or S3 SDK, with every built-in source configured",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.makeDatabase("medallion_status_modules")
        const dir = yield* Medallion.tempDir("medallion-status-modules-")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: Path.join(dir, "bronze") },
          sources: [
            { type: "hn", name: "hn" },
            { type: "feed", name: "blog", url: "https://example.org/feed.xml" },
            { type: "web", name: "pages", sitemap: "https://example.org/sitemap.xml" },
            { type: "reddit", name: "typescript", subreddit: "typescript" },
            { type: "youtube", name: "talks", videos: ["D-lhorsDlUQ"] }
          ]
        })
        const recorded = Path.join(dir, "loaded.txt")
        const result = ChildProcess.spawnSync(
          process.execPath,
          [
            "--conditions=@medallion/source",
            "--import",
            RECORDER,
            Medallion.BIN,
            ...Medallion.flags(Path.join(dir, "data"), configFile),
            "status"
          ],
          {
            encoding: "utf8",
            env: { ...process.env, DATABASE_URL: Redacted.value(database.url), MEDALLION_LOADED_MODULES: recorded }
          }
        )
        assert.strictEqual(result.status, 0, `medallion status:\n${result.stdout}\n${result.stderr}`)
        assert.include(result.stdout, "silver holds no items yet")
        const urls = LoadedModules.read(recorded)
        const packages = LoadedModules.packages(urls)
        // A plug-in folder's fetch and transform are its code: the entry needs its names only.
        assert.deepStrictEqual(
          urls.filter((url) => /\/plugins\/[^/]+\/(fetch|transform)\//.test(url)),
          [],
          "plug-in code loaded by medallion status"
        )
        assert.isTrue(packages.has("@effect/sql-pg"), "the recorder missed the database client")
        const heavy = HEAVY.filter(([name]) => packages.has(name)).map(([name, what]) => `${name} (${what})`)
        assert.deepStrictEqual(heavy, [], "loaded by medallion status")
        Fs.rmSync(recorded)
      }),
    120_000
  )
})
