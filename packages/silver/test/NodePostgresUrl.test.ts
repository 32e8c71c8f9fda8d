/**
 * The URL given to components that connect with node-postgres (the run queue): it carries the TLS
 * settings silver's own connections use, with libpq's meaning.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { nodePostgresUrl } from "../src/SilverDatabase.ts"

describe("nodePostgresUrl", () => {
  const withTls = (url: string, env: { sslMode?: string; sslRootCert?: string }) =>
    Redacted.value(nodePostgresUrl(Redacted.make(url), env))

  it("carries silver's TLS settings with libpq's meaning", () => {
    assert.strictEqual(withTls("postgres://u:p@db:5432/m", {}), "postgres://u:p@db:5432/m")
    assert.strictEqual(
      withTls("postgres://u:p@db:5432/m", { sslMode: "require" }),
      "postgres://u:p@db:5432/m?sslmode=require&uselibpqcompat=true"
    )
    assert.strictEqual(
      withTls("postgres://u:p@db:5432/m?sslmode=verify-full", { sslRootCert: "/etc/ca.pem" }),
      "postgres://u:p@db:5432/m?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&uselibpqcompat=true"
    )
    // PGSSLMODE wins over the URL's, as it does for silver.
    assert.strictEqual(
      withTls("postgres://u:p@db:5432/m?sslmode=verify-full", { sslMode: "disable" }),
      "postgres://u:p@db:5432/m?sslmode=disable&uselibpqcompat=true"
    )
  })
})
