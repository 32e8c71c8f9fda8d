/**
 * Every error that reaches a tick's reason, a run's error or a log carries its reason: the runtime's
 * errors build their message from their fields and causes, and `FailureReason` never renders an empty one.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Schema } from "effect"
import * as FailureReason from "../src/FailureReason.ts"
import { CursorTooLarge, LeaseLost, SensorNotFound, SensorStoreError } from "../src/SensorErrors.ts"

class Silent extends Schema.TaggedError<Silent>()("Silent", {}) {}

describe("failure reasons", () => {
  it("a SensorStoreError carries its cause's words (the reported `runs not accepted: SensorStoreError: `)", () => {
    const server = Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" })
    const error = new SensorStoreError({
      operation: "insertRuns",
      cause: new Error("PgConnection: Query failed", { cause: server })
    })
    assert.strictEqual(
      FailureReason.reasonOf(Cause.fail(error)),
      "SensorStoreError: sensor store insertRuns failed: PgConnection: Query failed: unsupported Unicode escape sequence"
    )
  })

  it("the runtime's errors name what happened", () => {
    assert.strictEqual(
      new LeaseLost({ sensor: "s", owner: "me" }).message,
      "me no longer holds the lease of sensor s: another owner took it over"
    )
    assert.strictEqual(
      new CursorTooLarge({ sensor: "s", bytes: 70_000, limit: 65_536 }).message,
      "the cursor of sensor s is 70000 bytes, over the limit of 65536"
    )
    assert.strictEqual(new SensorNotFound({ sensor: "s" }).message, "no sensor named s")
  })

  it("is never empty, whatever fails", () => {
    assert.strictEqual(FailureReason.reasonOf(Cause.fail(new Silent({}))), "Silent: Silent")
    assert.isAbove(FailureReason.reasonOf(Cause.fail("")).length, 0)
    assert.isAbove(FailureReason.reasonOf(Cause.die(undefined)).length, 0)
    assert.strictEqual(FailureReason.reasonOf(Cause.fail("x".repeat(5000))).length, FailureReason.MAX_REASON_LENGTH)
  })
})
