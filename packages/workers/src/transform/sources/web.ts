/**
 * Web pages (`web`, keyed by URL): `page.html` as received (a refetch is `page@<stamp>.html`; the newest
 * that extracts wins), `page-response.json` (its Content-Type gives the charset) and
 * `fetch-error@<stamp>.json` records. Title, byline, language, published time and
 * text come from Readability; the item's URL is its external id.
 */
import { Effect } from "effect"
import { ItemDraft, parseInstant } from "../ItemDraft.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "web"

export const web: SourceTransform = {
  sourceType: SOURCE_TYPE,
  transform: (artifacts, options) =>
    ItemDraft.run(artifacts, options, (draft) =>
      Effect.gen(function* () {
        yield* draft.deriveFetchStatus(["page"])
        draft.fields.url = artifacts.item.externalId
        const page = yield* draft.decodeHtmlArticle("page")
        if (page?._tag === "Bad") draft.mainFailure = page.reason
        if (page?._tag === "Ok") {
          const a = page.value
          const f = draft.fields
          f.title = a.title
          f.author = a.byline
          f.language = a.lang
          f.publishedAt = parseInstant(a.publishedTime)
          f.bodyText = a.text
        }
        yield* draft.deriveEnrichment()
        return draft.finish()
      })
    )
}
