import { assert, describe, it } from "@effect/vitest"
import { SqlError, UnknownError } from "effect/sql/SqlError"
import { SilverError } from "../src/index.ts"

/** The error the driver gives when PostgreSQL answers a connect or a statement with `code`. */
const answered = (code: string, message: string) =>
  new SqlError({
    reason: new UnknownError({
      operation: "connect",
      message: "PgConnection: Failed to connect",
      cause: Object.assign(new Error(message), { code, severity: "FATAL" })
    })
  })

describe("SilverError.fromSqlError", () => {
  it("a server that is starting up or shutting down is unavailable (the caller waits), with PostgreSQL's words", () => {
    for (const [code, words] of [
      ["57P03", "the database system is starting up"],
      ["57P01", "terminating connection due to administrator command"],
      ["08006", "connection failure"]
    ] as const) {
      const error = SilverError.fromSqlError("ItemRepo.get")(answered(code, words))
      assert.strictEqual(error._tag, "DatabaseUnavailable", code)
      assert.include(error.message, words)
    }
  })

  it("a statement refused for its data is a DatabaseError", () => {
    const error = SilverError.fromSqlError("ItemRepo.upsert")(answered("22P05", "unsupported Unicode escape sequence"))
    assert.strictEqual(error._tag, "DatabaseError")
    assert.include(error.message, "unsupported Unicode escape sequence")
  })
})
