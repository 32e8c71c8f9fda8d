import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { BronzeIoError, causeChain } from "../src/index.ts"

class Wrapper extends Schema.TaggedError<Wrapper>()("Wrapper", { cause: Schema.Defect() }) {}
class Silent extends Schema.TaggedError<Silent>()("Silent", {}) {}

describe("causeChain", () => {
  it("carries the root cause's words along the chain, each once", () => {
    // The shape of a SQL error: a driver message over PostgreSQL's own.
    const server = Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" })
    const driver = new Error("PgConnection: Query failed", { cause: server })
    assert.strictEqual(
      causeChain(new Error("insertRuns", { cause: driver })),
      "insertRuns: PgConnection: Query failed: unsupported Unicode escape sequence"
    )
    assert.strictEqual(causeChain(new Error("a", { cause: new Error("a") })), "a")
  })

  it("is never empty: an error without a message is named by its tag", () => {
    assert.strictEqual(causeChain(new Wrapper({ cause: new Silent({}) })), "Wrapper")
    assert.strictEqual(causeChain(new Wrapper({ cause: new Error("ENOSPC") })), "ENOSPC")
    assert.strictEqual(causeChain(undefined), "no cause given")
    assert.strictEqual(causeChain(""), "an error without a message")
    assert.strictEqual(causeChain({ errno: -28 }), '{"errno":-28}')
  })

  it("builds BronzeIoError's message", () => {
    const error = new BronzeIoError({ operation: "write", location: "hn/1/item.json", cause: new Error("ENOSPC") })
    assert.strictEqual(error.message, "bronze write failed at hn/1/item.json: ENOSPC")
  })
})
