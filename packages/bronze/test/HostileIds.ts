/**
 * External ids that must neither escape the store nor collide. Ids the writer refuses (U+0000, lone
 * surrogates) are in `REFUSED_IDS`.
 */
export const HOSTILE_IDS: ReadonlyArray<string> = [
  "8863",
  "dQw4w9WgXcQ",
  "dqw4w9wgxcq",
  "DQW4W9WGXCQ",
  "https://example.com/feed/item?id=1&x=2#frag",
  "tag:example.com,2026:entry/42",
  "..",
  ".",
  "../../etc/passwd",
  "a/b",
  "a\\b",
  "C:\\Windows",
  "/absolute",
  "%2e%2e",
  "%2E%2E",
  "~",
  "~~",
  "~%2E",
  ".hidden",
  "trailing.",
  "trailing ",
  " ",
  "_index.jsonl",
  "_item.json",
  "ünïcødé",
  "e\u0301",
  "\u00e9",
  "日本語のID",
  "emoji 🎙️",
  "x".repeat(2048),
  "y".repeat(2048) + "/..",
  "é".repeat(150),
  "z".repeat(8192)
]

/** Ids the writer refuses with `InvalidKey`, and the words of the rule each breaks. */
export const REFUSED_IDS: ReadonlyArray<readonly [id: string, rule: RegExp]> = [
  ["", /length of at least 1/],
  ["nul\u0000byte", /U\+0000/],
  ["\u0000", /U\+0000/],
  ["\uD800", /lone surrogates/],
  ["a\uDC00b", /lone surrogates/],
  ["x".repeat(8193), /length of at most 8192/]
]
