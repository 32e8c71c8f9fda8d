/**
 * `TRANSFORM_VERSION` must change whenever the rows change for the same bronze bytes: this test
 * transforms a fixed set of real fixtures and compares a digest of every row with the one recorded for
 * the current version. When it fails, the transform's output changed: bump `TRANSFORM_VERSION` (the
 * rows already in silver become stale, and a backfill rewrites them) and record the new digest here.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryBronze } from "@medallion/bronze"
import { transformItem } from "../../src/transform/Transform.ts"
import { TRANSFORM_VERSION } from "../../src/transform/TransformVersion.ts"
import * as F from "./Fixtures.ts"

/** Digest of the rows of the fixtures below, per transform version. */
const RECORDED: Record<number, string> = {
  1: "865972a8bbf4a699e0c07a54c71e6161d12c90cce00e0bee7f33c00567bc8516",
  // Feed entries keep their text, authors, categories, language and feed title; pages get main-content
  // extraction, trimmed titles, cleaned bylines, excerpt, site name and a detected language; HTML text
  // through html-to-text; Whisper's language on items and segments.
  2: "3fddf543a362de5ccea1481688e726477c4bf1c7905c7392fae920b91c19424f",
  // Discovery folders whose fetch failed are rows of their own; image-only enclosures are nothing to transcribe.
  3: "9c1f4478bfe75bff97fecee2d74bd570ae3ee45cc5221af2d3dec235a1033aaa",
  // A page's title loses the end its site heading names (a link home, the banner's <h1>) and a bracketed
  // site suffix. These fixtures keep their titles (only the version in the rows differs); the extraction
  // corpus's Node.js and Archive of Our Own pages change.
  4: "31cf461038527a9a04af510f04ec05f9a39d2e4dfbf589e0a06036bb0cbf7ce6"
}

describe("TRANSFORM_VERSION", () => {
  it.effect("names the output: the same bronze gives the digest recorded for the current version", () =>
    Effect.gen(function* () {
      yield* F.put("hn", "47336100", "item", "json", F.bytes("hn/thread_47336100/47336100_story.json"))
      yield* F.put("hn", "47336100", "comments", "json", F.threadComments())
      yield* F.put("hn", "8104927", "item", "json", F.bytes("hn/8104927_story_dead.json"))
      yield* F.put("hn", "8863", "item", "json", F.bytes("hn/8863_story_apidocs.json"))
      yield* F.put("hn", "8863", "article", "html", F.bytes("html/ietf-1.html"))
      yield* F.put("hn", "_lists", "topstories", "json", F.bytes("hn/topstories_ids_2023-08.json"))
      for (const page of F.HTML_PAGES)
        yield* F.put("web", `https://example.org/${page}`, "page", "html", F.bytes(`html/${page}.html`))
      yield* F.put(
        "feed",
        "episode",
        "entry",
        "json",
        JSON.stringify({
          guid: "episode",
          title: "JFK",
          enclosures: [{ url: "https://example.org/jfk.mp3", type: "audio/mpeg" }]
        })
      )
      yield* F.put("feed", "episode", "audio", "mp3", F.bytes("whisper/jfk.mp3"))
      yield* F.put("feed", "episode", "transcript", "json", F.bytes("whisper/SeanTCoder_jfk.json"))
      yield* F.put(
        "feed",
        "episode",
        "enrichment-response",
        "json",
        F.bytes("openai/drac1661_chat_completion_gpt-4o-mini.json")
      )
      const keys = [
        ["hn", "47336100"],
        ["hn", "8104927"],
        ["hn", "8863"],
        ["hn", "_lists"],
        ...F.HTML_PAGES.map((page) => ["web", `https://example.org/${page}`]),
        ["feed", "episode"]
      ] as const
      const hash = createHash("sha256")
      for (const [sourceType, externalId] of keys) {
        const rows = yield* transformItem({ sourceType, externalId })
        hash.update(JSON.stringify(rows)).update("\n")
      }
      const digest = hash.digest("hex")
      assert.strictEqual(
        digest,
        RECORDED[TRANSFORM_VERSION],
        `the transform's output changed (digest ${digest}): bump TRANSFORM_VERSION and record the digest`
      )
    }).pipe(Effect.provide(MemoryBronze.layer))
  )
})
