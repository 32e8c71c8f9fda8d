/**
 * The synthetic bronze of the scale benchmark: for item number `i`, the artifacts a fetch daemon would
 * have stored, with bodies shaped like the real ones (Hacker News API items and comment trees, feed entry
 * records, web pages with their response record). Text is assembled from a word list of its own, so the
 * data can be shipped and regenerated anywhere; everything is a pure function of `i` (seeded PRNG), so
 * two runs generate the same tree.
 */
import type { ArtifactKey } from "@medallion/bronze"

/** Bump when the shape of the data changes: trees of another version are generated again. */
export const GENERATOR_VERSION = 1

/** Share of items per source (the rest are Hacker News stories). */
const WEB_SHARE = 0.05
const FEED_SHARE = 0.08
/** Share of Hacker News stories stored with a comment tree. */
const COMMENTS_SHARE = 0.25

/** Items are spread over this span, ending at `SPAN_END`: mtimes that look like months of fetching. */
const SPAN_MS = 200 * 24 * 3600 * 1000
const SPAN_END = Date.UTC(2026, 9, 1)
/** An item's artifacts are 1 ms apart; items at least this far apart, so every mtime is distinct. */
const MIN_STEP_MS = 4

export interface GeneratedArtifact {
  readonly key: ArtifactKey
  readonly body: string
  readonly writtenAt: number
}

/** mulberry32: small, fast and good enough to vary shapes and sizes. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
type Rand = ReturnType<typeof prng>

const WORDS = (
  "data system build small fast slow open source project team work code memory cache disk network " +
  "server client query index table file stream queue worker thread process kernel compiler language type " +
  "model field search engine browser page layout render design tool library framework release version " +
  "bug patch test benchmark latency throughput storage database schema migration backup cluster node " +
  "cloud region cost price market company startup founder product user customer support billing email " +
  "phone battery chip board sensor camera screen keyboard mouse audio video music podcast radio film book " +
  "paper study result science physics biology climate energy solar wind water city road train bike car " +
  "policy law court privacy security password key token protocol standard format parser editor terminal " +
  "shell script config deploy container image package registry mirror proxy gateway router switch cable " +
  "history year decade old new better worse simple hard easy useful strange quiet long short free paid"
).split(" ")
const VERBS = "build run ship test measure replace rewrite debug profile scale host learn teach read write keep"
  .split(" ")
  .filter((w) => w.length > 0)
const TLDS = ["com", "org", "net", "io", "dev", "co.uk", "de", "fr"]
const NAMES = "ada alan grace linus ken dennis barbara margaret edsger donald john frances radia tim guido yuki".split(
  " "
)

const pick = <A>(rand: Rand, xs: ReadonlyArray<A>): A => xs[Math.floor(rand() * xs.length)]!
const int = (rand: Rand, min: number, max: number) => min + Math.floor(rand() * (max - min + 1))
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

const words = (rand: Rand, n: number) => Array.from({ length: n }, () => pick(rand, WORDS)).join(" ")
const sentence = (rand: Rand) => {
  const s = cap(words(rand, int(rand, 6, 20)))
  // Contractions and quotes, so the bodies carry the entities and escapes real ones do.
  return rand() < 0.15 ? `${s}, but it doesn't ${pick(rand, VERBS)} "${pick(rand, WORDS)}".` : `${s}.`
}
const makeParagraph = (rand: Rand) => Array.from({ length: int(rand, 1, 5) }, () => sentence(rand)).join(" ")
const host = (rand: Rand) => `${pick(rand, WORDS)}${pick(rand, WORDS)}.${pick(rand, TLDS)}`
const slug = (rand: Rand, n: number) => words(rand, n).replace(/ /g, "-")
const user = (rand: Rand) => `${pick(rand, NAMES)}${pick(rand, WORDS)}${rand() < 0.5 ? int(rand, 1, 999) : ""}`

/** HN's own small HTML: `<p>` between paragraphs, `&#x27;` and `&quot;`, `<a>` with an escaped href, `<i>`. */
const makeHnParagraph = (rand: Rand) => {
  let p = makeParagraph(rand)
  if (rand() < 0.2) {
    const url = `https:&#x2F;&#x2F;${host(rand)}&#x2F;${slug(rand, 3)}`
    p += ` See <a href="${url}" rel="nofollow">${url}</a>`
  }
  if (rand() < 0.1) p = `<i>${p}</i>`
  return p.replace(/'/g, "&#x27;").replace(/"(\w+)"/g, "&quot;$1&quot;")
}

// Paragraphs are drawn from pools built once per thread: assembling text word by word for every item
// would make the text, not the disk, the generator's bottleneck.
const POOL = 4096
const poolRand = prng(7)
const PARAGRAPHS = Array.from({ length: POOL }, () => makeParagraph(poolRand))
const HN_PARAGRAPHS = Array.from({ length: POOL }, () => makeHnParagraph(poolRand))
const paragraph = (rand: Rand) => pick(rand, PARAGRAPHS)
const hnHtml = (rand: Rand, paragraphs: number) =>
  Array.from({ length: paragraphs }, () => pick(rand, HN_PARAGRAPHS)).join("<p>")

const title = (rand: Rand) => {
  const r = rand()
  if (r < 0.15) return `Show HN: ${cap(pick(rand, WORDS))} – ${cap(words(rand, int(rand, 3, 8)))}`
  if (r < 0.25) return `Ask HN: How do you ${pick(rand, VERBS)} ${words(rand, int(rand, 2, 6))}?`
  if (r < 0.35) return `${cap(words(rand, int(rand, 3, 9)))} (${int(rand, 1985, 2025)})`
  return cap(words(rand, int(rand, 3, 12)))
}

const rfc822 = (ms: number) => new Date(ms).toUTCString()
/** The fetch side's stamp for refetched artifacts: `2026-11-27T05-00-00Z`. */
const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/:/g, "-")

const hnStory = (rand: Rand, id: number, seconds: number, kids: ReadonlyArray<number>) => {
  const r = rand()
  if (r < 0.005) return { deleted: true, id, time: seconds, type: "story" }
  const t = title(rand)
  const ask = t.startsWith("Ask HN") || (t.startsWith("Show HN") && rand() < 0.5)
  return {
    by: user(rand),
    descendants: kids.length + int(rand, 0, kids.length * 3),
    id,
    kids,
    score: Math.floor(1 + 600 * rand() ** 3),
    ...(ask ? { text: hnHtml(rand, int(rand, 1, 12)) } : {}),
    time: seconds,
    title: r < 0.015 ? `[dead] ${t}` : t,
    type: "story",
    ...(ask && rand() < 0.6 ? {} : { url: `https://${host(rand)}/${slug(rand, int(rand, 2, 6))}` }),
    ...(r < 0.015 ? { dead: true } : {})
  }
}

/** The comment tree as the fetch side stores it: one JSON array of raw API items, replies after parents. */
const hnComments = (rand: Rand, storyId: number, seconds: number) => {
  const count = Math.min(99, 1 + Math.floor(-Math.log(1 - rand()) * 12))
  const comments: Array<Record<string, unknown>> = []
  for (let j = 0; j < count; j++) {
    const id = storyId * 100 + j
    const parent = j === 0 || rand() < 0.4 ? storyId : (comments[int(rand, 0, j - 1)]!["id"] as number)
    const time = seconds + int(rand, 60, 36_000)
    comments.push(
      rand() < 0.03
        ? { deleted: true, id, parent, time, type: "comment" }
        : { by: user(rand), id, parent, text: hnHtml(rand, int(rand, 1, 4)), time, type: "comment" }
    )
  }
  for (const c of comments) {
    const kids = comments.filter((k) => k["parent"] === c["id"]).map((k) => k["id"])
    if (kids.length > 0) c["kids"] = kids
  }
  return comments
}

const feedEntry = (rand: Rand, guid: string, writtenAt: number) => {
  const podcast = rand() < 0.5
  return {
    guid,
    title: cap(words(rand, int(rand, 3, 10))),
    link: guid,
    published: rfc822(writtenAt - int(rand, 0, 86_400_000)),
    summary: Array.from({ length: int(rand, 1, 6) }, () => `<p>${paragraph(rand)}</p>`).join(""),
    author: `${cap(pick(rand, NAMES))} ${cap(pick(rand, WORDS))}`,
    enclosures: podcast
      ? [{ url: `${guid}/episode.mp3`, type: "audio/mpeg", length: int(rand, 5_000_000, 120_000_000) }]
      : []
  }
}

const webPage = (rand: Rand, url: string, writtenAt: number) => {
  const heading = cap(words(rand, int(rand, 4, 10)))
  const nav = Array.from(
    { length: int(rand, 5, 30) },
    () => `<li><a href="/${slug(rand, 2)}">${cap(pick(rand, WORDS))}</a></li>`
  )
  const body = Array.from({ length: int(rand, 4, 60) }, (_, n) =>
    n > 0 && n % 7 === 0 ? `<h2>${cap(words(rand, 4))}</h2>` : `<p>${paragraph(rand)}</p>`
  )
  const lang = pick(rand, ["en", "en", "en", "de", "fr"])
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${heading} | ${cap(pick(rand, WORDS))} News</title>
<meta name="description" content="${words(rand, 16)}">
<meta name="author" content="${cap(pick(rand, NAMES))} ${cap(pick(rand, WORDS))}">
<meta property="article:published_time" content="${new Date(writtenAt - int(rand, 0, 7 * 86_400_000)).toISOString()}">
<link rel="canonical" href="${url}"><link rel="stylesheet" href="/static/site.css"></head>
<body><header><nav><ul>${nav.join("")}</ul></nav></header>
<main><article><h1>${heading}</h1>
${body.join("\n")}
</article><aside><h3>Related</h3><ul>${nav.slice(0, 5).join("")}</ul></aside></main>
<footer><p>© ${new Date(writtenAt).getUTCFullYear()} ${host(rand)}. All rights reserved.</p></footer>
<script>window.analytics=window.analytics||[];</script></body></html>
`
}

/** Milliseconds between two items' first artifacts for a tree of `items` items. */
export const stepMs = (items: number) => Math.max(MIN_STEP_MS, Math.floor(SPAN_MS / Math.max(1, items)))

/** The artifacts of item `i` of a tree of `items` items, in write order (strictly increasing `writtenAt`). */
export const itemArtifacts = (i: number, items: number): ReadonlyArray<GeneratedArtifact> => {
  const rand = prng(i * 2654435761 + 17)
  const base = SPAN_END - (items - i) * stepMs(items)
  const r = rand()
  if (r < WEB_SHARE) {
    const url = `https://www.${host(rand)}/${2025 + (i % 2)}/${slug(rand, int(rand, 2, 6))}-${i}`
    const page = webPage(rand, url, base)
    const response = {
      url,
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8", "content-length": String(Buffer.byteLength(page)) }
    }
    return [
      { key: { sourceType: "web", externalId: url, artifactType: "page", ext: "html" }, body: page, writtenAt: base },
      {
        key: { sourceType: "web", externalId: url, artifactType: "page-response", ext: "json" },
        body: JSON.stringify(response),
        writtenAt: base + 1
      }
    ]
  }
  if (r < WEB_SHARE + FEED_SHARE) {
    const guid = `https://feeds.${host(rand)}/${slug(rand, 2)}/episodes/${i}`
    return [
      {
        key: { sourceType: "feed", externalId: guid, artifactType: "entry", ext: "json" },
        body: JSON.stringify(feedEntry(rand, guid, base)),
        writtenAt: base
      }
    ]
  }
  const id = 30_000_000 + i
  const seconds = Math.floor(base / 1000) - int(rand, 0, 3600)
  const withComments = rand() < COMMENTS_SHARE
  const comments = withComments ? hnComments(rand, id, seconds) : []
  const kids = comments.filter((c) => c["parent"] === id).map((c) => c["id"] as number)
  const story = hnStory(rand, id, seconds, kids)
  const out: Array<GeneratedArtifact> = [
    {
      key: { sourceType: "hn", externalId: String(id), artifactType: "item", ext: "json" },
      body: JSON.stringify(story),
      writtenAt: base
    }
  ]
  if (withComments) {
    out.push({
      key: { sourceType: "hn", externalId: String(id), artifactType: `comments@${stamp(base + 1)}`, ext: "json" },
      body: JSON.stringify(comments),
      writtenAt: base + 1
    })
  }
  return out
}
