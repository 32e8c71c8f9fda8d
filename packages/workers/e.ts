import { Effect } from "effect"
import * as C from "./src/transform/ExtractionCorpus.ts"
const pages = C.loadPages()
for (const p of pages) {
  const r = await Effect.runPromise(C.evaluatePage(p))
  const bad = Object.entries(r.fields)
    .filter(([, v]) => !v!.ok)
    .map(([k, v]) => `${k}=${JSON.stringify(v!.got)}`)
  if (bad.length || r.missing.length || r.unwanted.length || (r.mainShare !== undefined && r.mainShare < 0.9))
    console.log(
      p.file.split("/").pop(),
      p.set,
      r.extractor,
      "main",
      r.mainShare?.toFixed(2),
      "| bad:",
      bad.join(" "),
      "| missing:",
      JSON.stringify(r.missing),
      "| unwanted:",
      JSON.stringify(r.unwanted)
    )
}
for (const f of C.feedFiles()) {
  const r = await Effect.runPromise(C.evaluateFeed(f))
  console.log(
    f,
    r.error ?? "",
    r.entries,
    "text",
    r.text.kept + "/" + r.text.carried,
    "date",
    r.published.kept + "/" + r.published.carried,
    "author",
    r.author.kept + "/" + r.author.carried,
    "cat",
    r.categories.kept + "/" + r.categories.carried,
    "lang",
    r.language.kept + "/" + r.language.carried,
    r.unparsedDates.slice(0, 2)
  )
}
