/**
 * The checks of the configuration that span several keys, decoded in process.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted } from "effect"
import * as Database from "../src/Database.ts"
import * as MedallionConfig from "../src/MedallionConfig.ts"

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

describe("the run queue's database URL", () => {
  const queueUrl = (url: string, env: { sslMode?: string; sslRootCert?: string }) =>
    Redacted.value(Database.queueUrl(Redacted.make(url), env))

  it("carries silver's TLS settings with libpq's meaning", () => {
    assert.strictEqual(queueUrl("postgres://u:p@db:5432/m", {}), "postgres://u:p@db:5432/m")
    assert.strictEqual(
      queueUrl("postgres://u:p@db:5432/m", { sslMode: "require" }),
      "postgres://u:p@db:5432/m?sslmode=require&uselibpqcompat=true"
    )
    assert.strictEqual(
      queueUrl("postgres://u:p@db:5432/m?sslmode=verify-full", { sslRootCert: "/etc/ca.pem" }),
      "postgres://u:p@db:5432/m?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&uselibpqcompat=true"
    )
    // PGSSLMODE wins over the URL's, as it does for silver.
    assert.strictEqual(
      queueUrl("postgres://u:p@db:5432/m?sslmode=verify-full", { sslMode: "disable" }),
      "postgres://u:p@db:5432/m?sslmode=disable&uselibpqcompat=true"
    )
  })
})
