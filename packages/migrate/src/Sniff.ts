/**
 * What a legacy value looks like, from its bytes: HTML, Whisper JSON, an HN item or comment tree, a chat
 * completion request or response, other JSON, audio or video, text, binary. The per-row rules of a
 * mapping (`when`) and `inspect`'s proposals both use it; the JSON shapes are decided by the fetch side's
 * own extractors, so "Whisper-shaped" means exactly what the transform will accept.
 */
import { ChatCompletion, HnItem, WhisperTranscript } from "@medallion/workers/records"
import { Effect, Result } from "effect"

export type Kind =
  | "empty"
  | "html"
  | "whisper-json"
  | "hn-item"
  | "hn-comments"
  | "chat-response"
  | "chat-request"
  | "json-array"
  | "json"
  | "audio"
  | "video"
  | "text"
  | "binary"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

/** The text of valid UTF-8 bytes, else `undefined`. */
export const text = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** A parsed JSON value, or `undefined` when the bytes are not (UTF-8) JSON. */
export const json = (bytes: Uint8Array): { readonly value: unknown } | undefined => {
  const t = text(bytes)
  if (t === undefined || t.trim().length === 0) return undefined
  try {
    return { value: JSON.parse(t) as unknown }
  } catch {
    return undefined
  }
}

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b/i
const TAG = /<\/?[a-z][a-z0-9-]*(?:\s[^>]*)?>/gi

/** An HTML document, or a fragment dense with tags (the first 4 KB are enough). */
export const isHtml = (bytes: Uint8Array): boolean => {
  // Latin-1 view: markup is ASCII whatever the page's charset.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString("latin1")
  if (HTML_START.test(head)) return true
  const tags = head.match(TAG)?.length ?? 0
  return tags >= 8 && /<\/(p|div|a|span|li|td|article|section)>/i.test(head)
}

const ok = <A, E>(effect: Effect.Effect<A, E>): boolean => Result.isSuccess(Effect.runSync(Effect.result(effect)))

/** Whisper `verbose_json` (text + segments with timestamps), as the transform reads `transcript.json`. */
export const isWhisperJson = (bytes: Uint8Array): boolean => ok(WhisperTranscript.parse(bytes))

const MAGIC: ReadonlyArray<{ readonly kind: "audio" | "video"; readonly test: (b: Uint8Array) => boolean }> = [
  { kind: "audio", test: (b) => b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33 }, // ID3 (mp3)
  { kind: "audio", test: (b) => b[0] === 0xff && (b[1]! & 0xe0) === 0xe0 }, // MPEG audio frame
  { kind: "audio", test: (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WAVE" },
  { kind: "audio", test: (b) => ascii(b, 0, 4) === "OggS" || ascii(b, 0, 4) === "fLaC" },
  { kind: "audio", test: (b) => ascii(b, 4, 4) === "ftyp" && /^M4A|^M4B/.test(ascii(b, 8, 4)) },
  { kind: "video", test: (b) => ascii(b, 4, 4) === "ftyp" },
  { kind: "video", test: (b) => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3 } // Matroska / WebM
]

const ascii = (b: Uint8Array, at: number, length: number): string =>
  b.length < at + length ? "" : String.fromCharCode(...b.subarray(at, at + length))

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** What the bytes are, most specific first. */
export const kindOf = (bytes: Uint8Array): Kind => {
  if (bytes.length === 0) return "empty"
  const media = MAGIC.find((m) => m.test(bytes))
  if (media !== undefined) return media.kind
  const parsed = json(bytes)
  if (parsed !== undefined) {
    const v = parsed.value
    if (isWhisperJson(bytes)) return "whisper-json"
    if (isRecord(v) && Array.isArray(v["choices"]) && ok(ChatCompletion.parse(bytes))) return "chat-response"
    if (isRecord(v) && Array.isArray(v["choices"])) return "chat-response"
    if (isRecord(v) && Array.isArray(v["messages"])) return "chat-request"
    if (
      isRecord(v) &&
      typeof v["id"] === "number" &&
      ("type" in v || "by" in v || "time" in v) &&
      ok(HnItem.parseItem(bytes))
    )
      return "hn-item"
    if (Array.isArray(v)) {
      const items = v.filter(isRecord)
      if (items.length > 0 && items.every((i) => typeof i["id"] === "number" && "parent" in i)) return "hn-comments"
      return "json-array"
    }
    return "json"
  }
  if (isHtml(bytes)) return "html"
  return text(bytes) === undefined ? "binary" : "text"
}
