import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"

/** A port free right now: bound once by the system, then released. */
const freePort = Effect.callback<number>((resume) => {
  const probe = Net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const port = (probe.address() as Net.AddressInfo).port
    probe.close(() => resume(Effect.succeed(port)))
  })
})

describe("FixtureServer's preferred port", () => {
  it.live("listens on the preferred port when it is free, and on another one when it is taken", () =>
    Effect.gen(function* () {
      const wanted = yield* freePort
      const first = yield* Layer.build(FixtureServer.layer({ preferredPort: wanted }))
      const second = yield* Layer.build(FixtureServer.layer({ preferredPort: wanted }))
      const a = Context.get(first, FixtureServer).port
      const b = Context.get(second, FixtureServer).port
      assert.strictEqual(a, wanted)
      assert.notStrictEqual(b, wanted)
      const answer = yield* Effect.promise(() => fetch(`http://127.0.0.1:${b}/v0/topstories.json`))
      assert.strictEqual(answer.status, 200)
    }).pipe(Effect.scoped)
  )
})
