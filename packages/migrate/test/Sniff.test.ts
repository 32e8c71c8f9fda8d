import { assert, describe, it } from "@effect/vitest"
import { Sniff } from "../src/index.ts"
import { LegacyFixture } from "../src/testing/index.ts"

const utf8 = (text: string) => new TextEncoder().encode(text)

describe("what a legacy value looks like", () => {
  it("tells the real payloads apart", () => {
    for (const name of LegacyFixture.PAGES) assert.strictEqual(Sniff.kindOf(LegacyFixture.page(name)), "html", name)
    assert.strictEqual(Sniff.kindOf(LegacyFixture.latin1Page), "html")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.whisper), "whisper-json")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.whisperOther), "whisper-json")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.thread.story), "hn-item")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.read("hn/8863_story_apidocs.json")), "hn-item")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.thread.comments), "hn-comments")
    const pair = LegacyFixture.llmPair("pydantic-ai_test_openai_instructions.json")
    assert.strictEqual(Sniff.kindOf(utf8(pair.response)), "chat-response")
    assert.strictEqual(Sniff.kindOf(utf8(pair.prompt)), "chat-request")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.jfkMp3), "audio")
    assert.strictEqual(Sniff.kindOf(utf8(LegacyFixture.finalText)), "text")
    assert.strictEqual(Sniff.kindOf(LegacyFixture.read("hn/19155826_story_handedited_invalid.json")), "text")
    assert.strictEqual(Sniff.kindOf(utf8('{"title": "x"}')), "json")
    assert.strictEqual(Sniff.kindOf(new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x81])), "binary")
    assert.strictEqual(Sniff.kindOf(new Uint8Array(0)), "empty")
  })

  it("Whisper JSON means what the transform accepts: text and timed segments", () => {
    assert.isTrue(Sniff.isWhisperJson(LegacyFixture.whisper))
    assert.isFalse(Sniff.isWhisperJson(utf8('{"text": "hello"}')))
    assert.isFalse(Sniff.isWhisperJson(utf8('{"text": "hi", "segments": [{"start": 0, "text": "hi"}]}')))
    assert.isFalse(Sniff.isWhisperJson(utf8(LegacyFixture.finalText)))
  })
})
