/**
 * The checks of the configuration that span several keys, decoded in process.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as MedallionConfig from "../../src/config/MedallionConfig.ts"

const failure = (document: unknown) =>
  Effect.flip(MedallionConfig.decode("medallion.json", document)).pipe(Effect.map((error) => error.message))

describe("MedallionConfig", () => {
  it.effect("a dead-worker timeout must leave room for a few late heartbeats", () =>
    Effect.gen(function* () {
      const message = yield* failure({ runs: { queue: { heartbeat: "10 seconds", deadAfter: "15 seconds" } } })
      assert.include(message, "at least three times runs.queue.heartbeat\n  at runs.queue.deadAfter")
      const ok = yield* MedallionConfig.decode("medallion.json", {
        runs: { launcher: "queue", queue: { heartbeat: "2 seconds", deadAfter: "6 seconds" } }
      })
      assert.isTrue(Duration.equals(ok.runs.queue.deadAfter, Duration.seconds(6)))
    })
  )

  it.effect("an S3 store needs its bucket; path-style addressing is left to the store unless set", () =>
    Effect.gen(function* () {
      assert.include(yield* failure({ bronze: { store: "s3" } }), 'required when bronze.store is "s3"')
      const config = yield* MedallionConfig.decode("medallion.json", {
        bronze: { store: "s3", s3: { bucket: "medallion", endpoint: "http://127.0.0.1:7480" } }
      })
      assert.deepStrictEqual(config.bronze.s3, {
        bucket: "medallion",
        prefix: "",
        endpoint: "http://127.0.0.1:7480",
        region: "us-east-1"
      })
      assert.strictEqual(config.bronze.discovery, "scan")
      assert.isTrue(Duration.equals(config.bronze.reconcileEvery, Duration.hours(6)))
    })
  )
})

describe("values that parse but cannot be used are refused with their key", () => {
  const refused = (document: unknown, key: string, expected: string) =>
    Effect.gen(function* () {
      const message = yield* failure(document)
      // The message names the key on its own line, after what was expected.
      const lines = message.split("\n")
      const at = lines.indexOf(`  at ${key}`)
      assert.isAbove(at, 0, message)
      assert.include(lines[at - 1], expected, message)
    })

  it.effect("CIDRs are parsed: the address of either family, the prefix length within its range", () =>
    Effect.gen(function* () {
      for (const cidr of ["10.0.0.0/33", "::1/129", "999.0.0.1/8", "1.2.3/24", "localhost", "127.0.0.1", "fe80::zz/64"])
        yield* refused({ http: { allowNetworks: [cidr] } }, "http.allowNetworks.0", "a CIDR such as 127.0.0.1/32")
      const ok = yield* MedallionConfig.decode("medallion.json", {
        http: { allowNetworks: ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8", "0.0.0.0/0"] }
      })
      assert.strictEqual(ok.http.allowNetworks.length, 5)
    })
  )

  it.effect("schedules have a floor (and a ceiling), counts and pool sizes a sane maximum", () =>
    Effect.gen(function* () {
      yield* refused(
        { sources: [{ type: "feed", name: "f", url: "https://example.org/f", every: "5 seconds" }] },
        "sources.0.every",
        'a duration from "1 minute" to "30 days"'
      )
      yield* refused({ sources: [{ type: "hn", every: "1 millis" }] }, "sources.0.every", 'from "1 minute"')
      yield* refused({ sensors: { interval: "10 millis" } }, "sensors.interval", 'from "1 second" to "1 day"')
      yield* refused({ sensors: { tickTimeout: "2 hours" } }, "sensors.tickTimeout", 'to "5 minutes"')
      yield* refused({ sensors: { batchSize: 1_000_000 } }, "sensors.batchSize", "between 1 and 5000")
      yield* refused({ sensors: { maxRunsPerTick: 10_000_000 } }, "sensors.maxRunsPerTick", "between 1 and 10000")
      yield* refused({ runs: { concurrency: 100_000 } }, "runs.concurrency", "between 1 and 256")
      yield* refused({ runs: { maxAttempts: 0 } }, "runs.maxAttempts", "between 1 and 100")
      yield* refused({ database: { poolSize: 5_000 } }, "database.poolSize", "between 1 and 200")
      yield* refused({ http: { perHostConcurrency: 1_000 } }, "http.perHostConcurrency", "between 1 and 64")
      yield* refused({ http: { timeout: "1 millis" } }, "http.timeout", 'from "1 second" to "1 hour"')
      const defaults = yield* MedallionConfig.decode("medallion.json", {})
      assert.strictEqual(defaults.sensors.batchSize, 50)
      assert.isTrue(Duration.equals(defaults.sensors.interval, Duration.seconds(30)))
    })
  )

  it.effect("a guard switched off and metrics on every interface are warned about when a daemon starts", () =>
    Effect.gen(function* () {
      const open = yield* MedallionConfig.decode("medallion.json", {
        http: { allowNetworks: ["127.0.0.1/32", "0.0.0.0/0", "::/0"] },
        metrics: { host: "0.0.0.0" }
      })
      const fetch = MedallionConfig.startWarnings(open, "fetch")
      assert.strictEqual(fetch.length, 3, fetch.join("\n"))
      assert.include(
        fetch[0]!,
        "http.allowNetworks contains 0.0.0.0/0: every IPv4 address is allowed, so the SSRF guard is off"
      )
      assert.include(fetch[1]!, "http.allowNetworks contains ::/0: every IPv6 address is allowed")
      assert.include(
        fetch[2]!,
        "metrics.host is 0.0.0.0: the fetch daemon serves /healthz and /metrics on every network interface"
      )
      // The transform daemon does not fetch: only its metrics host concerns it.
      assert.deepStrictEqual(MedallionConfig.startWarnings(open, "transform").length, 1)
      for (const host of ["::", "[::]", "0:0:0:0:0:0:0:0"]) {
        const config = yield* MedallionConfig.decode("medallion.json", { metrics: { host } })
        assert.strictEqual(MedallionConfig.startWarnings(config, "transform").length, 1, host)
      }
      const safe = yield* MedallionConfig.decode("medallion.json", { http: { allowNetworks: ["127.0.0.1/32"] } })
      assert.deepStrictEqual(MedallionConfig.startWarnings(safe, "fetch"), [])
    })
  )
})

describe("MedallionConfig, retention", () => {
  it.effect("retention: a policy per known source type, with at least one rule", () =>
    Effect.gen(function* () {
      const none = yield* MedallionConfig.decode("medallion.json", {})
      assert.deepStrictEqual(none.retention.sources, {})
      const config = yield* MedallionConfig.decode("medallion.json", {
        retention: { sources: { hn: { keepVersions: 3 }, feed: { keepVersions: 2, keepFor: "30 days" } } }
      })
      assert.strictEqual(config.retention.sources.hn?.keepVersions, 3)
      assert.strictEqual(config.retention.schedule, "30 4 * * *")
      assert.include(
        yield* failure({ retention: { sources: { hn: {} } } }),
        'at least one of "keepVersions" (e.g. 3) or "keepFor" (e.g. "30 days")\n  at retention.sources.hn'
      )
      assert.include(
        yield* failure({ retention: { sources: { hnn: { keepVersions: 3 } } } }),
        'a source type of the configured plug-ins ("hn", '
      )
      assert.include(yield* failure({ retention: { sources: { hn: { keepVersions: 0 } } } }), "keepVersions")
      assert.include(yield* failure({ retention: { sources: { hn: { keepFor: "soon" } } } }), "keepFor")
      assert.include(yield* failure({ retention: { schedule: "daily" } }), "a cron expression")
    })
  )
})
