/**
 * Sitemap bytes -> the page URLs (`<urlset>`) or the child sitemaps
 * (`<sitemapindex>`), per sitemaps.org. Only `<loc>` matters to the fetcher.
 */
import { Effect } from "effect"
import * as Charset from "./Charset.ts"
import { ExtractError } from "./ExtractError.ts"

export interface Sitemap {
  readonly kind: "urlset" | "sitemapindex"
  readonly locations: ReadonlyArray<string>
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

const unescape = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) =>
    e[0] === "#"
      ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : entities[e.toLowerCase()]!
  )

export const parse = (bytes: Uint8Array, contentType?: string): Effect.Effect<Sitemap, ExtractError> =>
  Effect.gen(function* () {
    const { text } = yield* Charset.decodeXml(bytes, contentType)
    const kind = /<sitemapindex[\s>]/.test(text) ? "sitemapindex" : /<urlset[\s>]/.test(text) ? "urlset" : undefined
    if (kind === undefined) {
      return yield* new ExtractError({
        kind: "schema-mismatch",
        reason: "neither a <urlset> nor a <sitemapindex> document"
      })
    }
    const locations = [...text.matchAll(/<loc>\s*(?:<!\[CDATA\[)?([\s\S]*?)(?:\]\]>)?\s*<\/loc>/g)].map((m) =>
      unescape(m[1]!.trim())
    )
    return { kind, locations } as const
  })
