/**
 * Realistic `ItemRepo.upsert` inputs for tests and benchmarks: an HN-like story
 * with three bronze artifacts, a body of about 5 KB and a comment thread.
 * Deterministic: the same `n` always gives the same item.
 */
import * as Crypto from "node:crypto"
import { DateTime } from "effect"
import type { ItemInput } from "../Item.ts"

const WORDS =
  "postgres silver bronze medallion stream effect schema cursor sensor transcript comment thread article podcast audio video summary model feed index search database ingest batch upsert".split(
    " "
  )

/** Deterministic text of about `length` characters. */
export const text = (seed: number, length: number) => {
  const out: Array<string> = []
  let size = 0
  for (let i = 0; size < length; i++) {
    const word = WORDS[(seed * 31 + i * 7 + ((i * i) % 13)) % WORDS.length]!
    out.push(word)
    size += word.length + 1
  }
  return out.join(" ").slice(0, length)
}

const sha = (value: string) => Crypto.createHash("sha256").update(value).digest("hex")

export const makeItem = (
  n: number,
  options: { readonly bodyLength?: number; readonly comments?: number; readonly sourceType?: string } = {}
): ItemInput => {
  const sourceType = options.sourceType ?? "hn"
  const externalId = String(40_000_000 + n)
  const commentCount = options.comments ?? 10
  const artifact = (artifactType: string, ext: string) => ({
    artifactType,
    ext,
    sha256: sha(`${sourceType}/${externalId}/${artifactType}.${ext}`),
    size: 1000 + n,
    location: `${sourceType}/${externalId}/${artifactType}.${ext}`,
    writtenAt: DateTime.makeUnsafe(Date.UTC(2026, 10, 27, 5, 0, 0))
  })
  return {
    sourceType,
    externalId,
    title: `Story ${n}: ${text(n, 60)}`,
    url: `https://example.com/story/${n}`,
    author: `author${n % 97}`,
    publishedAt: DateTime.makeUnsafe(Date.UTC(2026, 10, 1) + n * 60_000),
    language: "en",
    bodyText: text(n, options.bodyLength ?? 5_000),
    fetchStatus: "fetched",
    transcriptionStatus: "not_applicable",
    transformStatus: "transformed",
    transformVersion: 1,
    artifacts: [
      artifact("item", "json"),
      artifact("article", "html"),
      artifact("comments@2026-11-27T05-00-00Z", "json")
    ],
    comments: Array.from({ length: commentCount }, (_, c) => ({
      externalId: String(50_000_000 + n * 100 + c),
      // a thread: every third comment replies to the one before it
      parentExternalId: c % 3 === 0 ? null : String(50_000_000 + n * 100 + c - 1),
      author: `commenter${c}`,
      bodyText: text(n + c, 200),
      publishedAt: DateTime.makeUnsafe(Date.UTC(2026, 10, 1) + n * 60_000 + c * 1000),
      artifact: { artifactType: "comments@2026-11-27T05-00-00Z", ext: "json" }
    }))
  }
}
