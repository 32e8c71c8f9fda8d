import { Effect } from "effect"
import { ItemDraft } from "../ItemDraft.ts"
import type { SourceTransform } from "../SourceTransform.ts"

export const SOURCE_TYPE = "feed"

export const feed: SourceTransform = {
  sourceType: SOURCE_TYPE,
  transform: (artifacts, options) =>
    ItemDraft.run(artifacts, options, (draft) =>
      Effect.gen(function* () {
        yield* draft.deriveFetchStatus(["article", "audio"])
        return draft.finish()
      })
    )
}
