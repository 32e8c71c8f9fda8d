import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChatCompletion from "../../src/extract/ChatCompletion.ts"
import { served } from "../support/Fixtures.ts"

describe("ChatCompletion", () => {
  it.effect("reads the assistant's text from recorded responses", () =>
    Effect.gen(function* () {
      const completion = yield* ChatCompletion.parse(served("openai/pydantic-ai_test_valid_response_resp0.json"))
      assert.strictEqual(completion.text, "The capital of France is Paris.")
      assert.strictEqual(completion.model, "gpt-4o-2024-08-06")
      assert.strictEqual(completion.finishReason, "stop")
      assert.strictEqual(completion.totalTokens, 21)
      const document = yield* ChatCompletion.parse(served("openai/pydantic-ai_test_text_document_url_input_resp1.json"))
      assert.match(document.text, /ISO 8859-1/)
    })
  )

  it.effect("a tool call is no summary; a cut-off body is truncated", () =>
    Effect.gen(function* () {
      const tool = yield* Effect.flip(
        ChatCompletion.parse(served("openai/pydantic-ai_test_multiple_agent_tool_calls_resp2.json"))
      )
      assert.strictEqual(tool.kind, "no-content")
      assert.include(tool.reason, "tool_calls")
      const bytes = served("openai/pydantic-ai_test_valid_response_resp0.json")
      const truncated = yield* Effect.flip(ChatCompletion.parse(bytes.subarray(0, bytes.length - 10)))
      assert.strictEqual(truncated.kind, "truncated")
    })
  )
})
