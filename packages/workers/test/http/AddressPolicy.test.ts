import { assert, describe, it, layer } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import * as AddressPolicy from "../../src/http/AddressPolicy.ts"
import { FetchError } from "../../src/http/FetchError.ts"
import { FetchHttp } from "../../src/http/FetchHttp.ts"
import { FixtureServer } from "../../src/testing/FixtureServer.ts"

describe("AddressPolicy", () => {
  it("refuses special-purpose addresses and allows public ones", () => {
    const check = AddressPolicy.makeCheck(AddressPolicy.strict)
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:169.254.169.254",
      "::ffff:a9fe:a9fe",
      "[::1]"
    ]) {
      assert.isFalse(check(a), a)
    }
    for (const a of ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"]) assert.isTrue(check(a), a)
    assert.isFalse(check("not-an-address"))
  })

  it("takes IPv4-compatible IPv6 addresses (::a.b.c.d) for special, whatever IPv4 address they embed", () => {
    const check = AddressPolicy.makeCheck({ allow: ["127.0.0.1/32"] })
    for (const a of ["::127.0.0.1", "[::127.0.0.1]", "::7f00:1", "::169.254.169.254", "::a9fe:a9fe", "::8.8.8.8"]) {
      assert.isTrue(AddressPolicy.isSpecialPurpose(a), a)
      assert.isFalse(check(a), a)
    }
    // Allowed only by an IPv6 CIDR that covers them.
    assert.isTrue(AddressPolicy.makeCheck({ allow: ["::7f00:1/128"] })("::127.0.0.1"))
  })

  it("parses CIDRs: an address of either family and a prefix length in its range", () => {
    assert.deepStrictEqual(AddressPolicy.parseCidr("10.0.0.0/8"), { address: "10.0.0.0", family: 4, prefix: 8 })
    assert.deepStrictEqual(AddressPolicy.parseCidr("::1/128"), { address: "::1", family: 6, prefix: 128 })
    assert.deepStrictEqual(AddressPolicy.parseCidr("127.0.0.1"), { address: "127.0.0.1", family: 4, prefix: 32 })
    for (const bad of ["10.0.0.0/33", "::1/129", "999.1.1.1/8", "1.2.3/24", "localhost/32", "10.0.0.0/", "10.0.0.0/-1"])
      assert.isUndefined(AddressPolicy.parseCidr(bad), bad)
  })

  it("allows exactly the CIDRs listed", () => {
    const check = AddressPolicy.makeCheck({ allow: ["127.0.0.1/32", "10.0.0.0/8"] })
    assert.isTrue(check("127.0.0.1"))
    assert.isFalse(check("127.0.0.2"))
    assert.isTrue(check("10.200.0.1"))
    assert.isTrue(check("::ffff:127.0.0.1"))
    assert.isFalse(check("169.254.169.254"))
  })
})

const names: Record<string, ReadonlyArray<{ address: string; family: number }>> = {
  "fixture.test": [{ address: "127.0.0.1", family: 4 }],
  "metadata.test": [{ address: "169.254.169.254", family: 4 }],
  "mixed.test": [
    { address: "127.0.0.1", family: 4 },
    { address: "10.0.0.7", family: 4 }
  ]
}
const resolve: AddressPolicy.Resolve = (host) =>
  names[host]
    ? Promise.resolve(names[host])
    : Promise.reject(Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" }))

const refusal = <A>(effect: Effect.Effect<A, FetchError>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    assert.isTrue(Exit.isFailure(exit))
    const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
    assert.instanceOf(reason?._tag === "Fail" ? reason.error : undefined, FetchError)
    return (reason as { error: FetchError }).error
  })

layer(FixtureServer.layer(), { excludeTestServices: true })("SSRF guard on real connections", (it) => {
  const http = FetchHttp.layer({
    addressPolicy: { allow: ["127.0.0.1/32"] },
    resolve,
    maxRetries: 0,
    perHostInterval: Duration.zero
  })

  it.effect("connects through the guarded resolver: a name resolving to an allowed address works", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const client = yield* FetchHttp
      const response = yield* client.request({ url: `http://fixture.test:${server.port}/articles/dev418.html` })
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.provide(http))
  )

  it.effect("refuses a name that resolves to the metadata service, or to any disallowed address", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const client = yield* FetchHttp
      const metadata = yield* refusal(client.request({ url: `http://metadata.test:${server.port}/latest/meta-data/` }))
      assert.strictEqual(metadata.reason, "address-refused")
      assert.match(metadata.message, /169\.254\.169\.254/)
      const mixed = yield* refusal(client.request({ url: `http://mixed.test:${server.port}/` }))
      assert.strictEqual(mixed.reason, "address-refused")
    }).pipe(Effect.provide(http))
  )

  it.effect("refuses redirects to private, loopback and link-local addresses and to other schemes", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const client = yield* FetchHttp
      const to = (target: string) => `${server.url}/fault/redirect?to=${encodeURIComponent(target)}`
      const cases = [
        ["http://169.254.169.254/latest/meta-data/", "address-refused"],
        [`http://127.0.0.2:${server.port}/`, "address-refused"],
        [`http://[::1]:${server.port}/`, "address-refused"],
        ["http://10.0.0.1/admin", "address-refused"],
        [`http://metadata.test:${server.port}/`, "address-refused"],
        ["file:///etc/passwd", "scheme-refused"]
      ] as const
      for (const [target, reason] of cases) {
        const error = yield* refusal(client.request({ url: to(target) }))
        assert.strictEqual(error.reason, reason, target)
        assert.strictEqual(error.redirects.length, 1)
      }
    }).pipe(Effect.provide(http))
  )

  it.effect(
    "refuses an IPv4-compatible IPv6 literal of an allowed IPv4 address, naming the setting that allows it",
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const client = yield* FetchHttp
        // The IPv4 form is allowed and answers, the same address written as ::127.0.0.1 is not.
        const ok = yield* client.request({ url: `http://127.0.0.1:${server.port}/articles/dev418.html` })
        assert.strictEqual(ok.status, 200)
        for (const url of [
          `http://[::127.0.0.1]:${server.port}/articles/dev418.html`,
          `http://compatible.test:${server.port}/articles/dev418.html`
        ]) {
          const error = yield* refusal(client.request({ url }))
          assert.strictEqual(error.reason, "address-refused", `${url}: ${error.message}`)
          assert.include(error.message, "not covered by http.allowNetworks", url)
        }
      }).pipe(
        Effect.provide(
          FetchHttp.layer({
            addressPolicy: { allow: ["127.0.0.1/32"], setting: "http.allowNetworks" },
            resolve: (host) =>
              host === "compatible.test" ? Promise.resolve([{ address: "::7f00:1", family: 6 }]) : resolve(host),
            maxRetries: 0,
            perHostInterval: Duration.zero
          })
        )
      )
  )

  it.effect("refuses loopback by default", () =>
    Effect.gen(function* () {
      const server = yield* FixtureServer
      const client = yield* FetchHttp
      const error = yield* refusal(client.request({ url: `${server.url}/articles/dev418.html` }))
      assert.strictEqual(error.reason, "address-refused")
      const byName = yield* refusal(client.request({ url: `http://localhost:${server.port}/` }))
      assert.strictEqual(byName.reason, "address-refused")
    }).pipe(Effect.provide(FetchHttp.layer({ maxRetries: 0 })))
  )
})
