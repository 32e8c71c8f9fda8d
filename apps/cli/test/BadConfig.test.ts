/**
 * A configuration file with bad values stops `medallion start` (and the daemons' own commands)
 * before anything starts: a non-zero exit, and a message naming the file, each bad key and what
 * was expected. No database is involved: the file is checked before the embedded server would start.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Medallion from "./support/Medallion.ts"

/** Every bad key of one document, and what its message must say about it. */
const badValues = {
  document: {
    sources: [{ type: "feed", name: "podcast", url: "not a url", maxEntries: 0, every: "10 seconds" }],
    http: { allowNetworks: ["localhost", "10.0.0.0/33"] },
    sensors: { interval: "-5 seconds", batchSize: 1_000_000 },
    metrics: { fetchPort: 70000 },
    transcription: { enabled: "yes" },
    bronze: { store: "s3" },
    runs: { concurrency: 1.5, launcher: "celery", maxAttempts: 100_000 },
    database: { poolSize: 100_000 },
    fetch: { shard: "3/2" },
    surces: []
  },
  expected: [
    ["sources.0.url", "an http(s) URL"],
    ["sources.0.maxEntries", "between 1 and 10000"],
    ["sources.0.every", 'a duration from "1 minute" to "30 days"'],
    ["http.allowNetworks.0", "a CIDR such as 127.0.0.1/32"],
    ["http.allowNetworks.1", "a CIDR such as 127.0.0.1/32"],
    ["sensors.interval", 'a duration from "1 second" to "1 day"'],
    ["sensors.batchSize", "between 1 and 5000"],
    ["runs.concurrency", "an integer"],
    ["runs.maxAttempts", "between 1 and 100"],
    ["database.poolSize", "between 1 and 200"],
    ["metrics.fetchPort", "between 0 and 65535"],
    ["transcription.enabled", "boolean"],
    ["runs.launcher", '"in-process" | "queue"'],
    ["bronze.s3", 'required when bronze.store is "s3"'],
    ["fetch.shard", 'a shard such as "1/2"'],
    ["surces", "no excess property"]
  ]
} as const

describe("a bad configuration file", () => {
  it.live.each(["start", "fetch", "transform"] as const)(
    "%s: rejected at once, naming the file, every bad key and what was expected",
    (command) =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-config-")
        const file = Medallion.writeJson(Path.join(dir, "medallion.json"), badValues.document)
        const dataDir = Path.join(dir, "data")
        const result = yield* Medallion.run({ args: [...Medallion.flags(dataDir, file), command] })
        assert.strictEqual(result.code, 2, result.output)
        assert.isNotNull(result.code, "ended by a signal, not by its own exit")
        assert.include(result.output, file)
        // Each key is followed by what it expected, on the line before it (the message's format).
        const lines = result.output.split("\n")
        for (const [key, expected] of badValues.expected) {
          const at = lines.findIndex((line) => line.trim() === `at ${key}`)
          assert.isAbove(at, 0, `no "at ${key}" in:\n${result.output}`)
          assert.include(lines[at - 1]!.toLowerCase(), expected.toLowerCase(), `for ${key}:\n${result.output}`)
        }
        // Nothing was started: no embedded PostgreSQL, no bronze.
        assert.isFalse(Fs.existsSync(Path.join(dataDir, "postgres")), "an embedded PostgreSQL was set up")
        assert.isFalse(Fs.existsSync(Path.join(dataDir, "bronze")), "bronze was set up")
      }),
    60_000
  )

  it.live(
    "a guard switched off and metrics on every interface start the fetch daemon with a warning for each",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-config-")
        const file = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          sources: [],
          http: { allowNetworks: ["0.0.0.0/0"] },
          metrics: { host: "0.0.0.0", fetchPort: 0 }
        })
        const fetch = yield* Medallion.spawn({ args: [...Medallion.flags(Path.join(dir, "data"), file), "fetch"] })
        yield* Medallion.within(
          "the fetch daemon to start",
          Effect.sync(() => fetch.exit() !== undefined || fetch.output().includes("fetch daemon running")),
          fetch.output,
          "45 seconds"
        )
        assert.isUndefined(fetch.exit(), fetch.output())
        const warnings = fetch
          .stderr()
          .split("\n")
          .filter((line) => line.includes('"level":"WARN"') || line.includes('"WARN"'))
        assert.isTrue(
          warnings.some(
            (line) => line.includes("http.allowNetworks contains 0.0.0.0/0") && line.includes("SSRF guard is off")
          ),
          fetch.output()
        )
        assert.isTrue(
          warnings.some((line) => line.includes("metrics.host is 0.0.0.0")),
          fetch.output()
        )
      }),
    60_000
  )

  it.live(
    "a file that is not JSON is rejected with its name",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-config-")
        const file = Path.join(dir, "medallion.json")
        Fs.writeFileSync(file, '{ "sources": [')
        const result = yield* Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), file), "start"] })
        assert.strictEqual(result.code, 2, result.output)
        assert.include(result.output, "not valid JSON")
        assert.include(result.output, file)
      }),
    60_000
  )

  // Every bad key at once, also when one has the wrong type and another fails its own check: an
  // operator fixes them in one go rather than meeting the next on the following start.
  it.live(
    "two bad keys in one section are both named",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-config-")
        const file = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          sensors: { interval: "-5 seconds", batchSize: 1.5 }
        })
        const result = yield* Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), file), "start"] })
        assert.strictEqual(result.code, 2, result.output)
        assert.include(result.output, "at sensors.batchSize")
        assert.include(result.output, "at sensors.interval")
      }),
    60_000
  )

  it.live(
    "a configuration file that does not exist is rejected with its name",
    () =>
      Effect.gen(function* () {
        const dir = yield* Medallion.tempDir("medallion-config-")
        const file = Path.join(dir, "missing.json")
        const result = yield* Medallion.run({ args: [...Medallion.flags(Path.join(dir, "data"), file), "start"] })
        assert.strictEqual(result.code, 2, result.output)
        assert.include(result.output, file)
      }),
    60_000
  )
})
