import { assert, describe, it } from "@effect/vitest"
import * as ServerMessage from "../../src/http/ServerMessage.ts"

describe("ServerMessage", () => {
  it("keeps what the server said after the status, once", () => {
    const cases: ReadonlyArray<readonly [string, string | undefined, string]> = [
      [
        '{"error":{"message":"unknown audio","type":"invalid_request_error"}}',
        "application/json",
        "HTTP 400: unknown audio"
      ],
      ['{"error":"model not loaded"}', "application/json; charset=utf-8", "HTTP 400: model not loaded"],
      ['{"detail":"Not authenticated"}', undefined, "HTTP 400: Not authenticated"],
      [
        "<html><head><title>502 Bad Gateway</title></head><body>...</body></html>",
        "text/html",
        "HTTP 400: 502 Bad Gateway"
      ],
      ["rate limited, slow down\nmore text", "text/plain", "HTTP 400: rate limited, slow down"],
      ["", "text/plain", "HTTP 400"],
      ['{"error":{"code":42}}', "application/json", "HTTP 400"],
      ['{"error": {"message": "cut sho', "application/json", 'HTTP 400: {"error": {"message": "cut sho']
    ]
    for (const [body, type, expected] of cases)
      assert.strictEqual(ServerMessage.statusMessage(400, body, type), expected)
  })

  it("bounds a long message", () => {
    const said = ServerMessage.fromBody("x".repeat(10_000), "text/plain")!
    assert.strictEqual(said.length, ServerMessage.MAX_LENGTH)
  })
})
