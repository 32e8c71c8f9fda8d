import { assert, describe, it } from "@effect/vitest"
import * as Watermark from "../src/Watermark.ts"

describe("Watermark", () => {
  it("advances to a tick's cursor only when it and every earlier tick finished", () => {
    const w = Watermark.make("c0")
    w.launched(["a", "b"])
    assert.deepStrictEqual(w.register("c1", ["a"], []), { advanced: false, cursor: "c0" })
    assert.deepStrictEqual(w.register("c2", ["b"], []), { advanced: false, cursor: "c0" })
    // The later tick's run finishing first does not move the cursor past the earlier one.
    assert.deepStrictEqual(w.finished("b"), { advanced: false, cursor: "c0" })
    assert.deepStrictEqual(w.finished("a"), { advanced: true, cursor: "c2" })
    assert.strictEqual(w.pendingTicks, 0)
  })

  it("a skip tick waits for earlier ticks only", () => {
    const w = Watermark.make("c0")
    w.launched(["a"])
    w.register("c1", ["a"], [])
    assert.deepStrictEqual(w.register("c2", [], []), { advanced: false, cursor: "c0" })
    assert.deepStrictEqual(w.finished("a"), { advanced: true, cursor: "c2" })
    assert.deepStrictEqual(w.register("c3", [], []), { advanced: true, cursor: "c3" })
  })

  it("waits for existing runs that are still in flight here, not for finished ones", () => {
    const w = Watermark.make("c0")
    w.launched(["relaunched"])
    assert.deepStrictEqual(w.register("c1", [], ["relaunched", "long-done"]), { advanced: false, cursor: "c0" })
    assert.deepStrictEqual(w.finished("relaunched"), { advanced: true, cursor: "c1" })
  })
})
