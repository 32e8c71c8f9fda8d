/**
 * The fetch daemon as a real process, SIGKILLed again and again while it stores documents with their
 * response records (`article.html` + `article-response.json`, `page.html` + `page-response.json`,
 * `feed.xml` + `feed-response.json`), then started once more: every document ends with its response
 * record (what a kill left incomplete is fetched again and completed), bronze holds no partial file,
 * and the temp files the killed writers left are gone once the last daemon's start-up upkeep ran.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { type ArtifactInfo, BronzeReader, FileSystemBronze, type ScannedArtifact } from "@medallion/bronze"
import { articleNames, FixtureServer } from "@medallion/workers/testing"
import { Clock, Effect } from "effect"
import * as Medallion from "./support/Medallion.ts"
import * as Prng from "./support/Prng.ts"

const STORIES = 150
const KILLS = 12
const SEED = 14
/** A kill lands up to this long after the daemon's first write of its run, so it falls among the writes. */
const KILL_AFTER_PROGRESS_MS = 800
const DOCUMENTS = ["article", "page", "feed"]

const storyIds = Array.from({ length: STORIES }, (_, i) => 950_000 + i)
const stories = Object.fromEntries(
  storyIds.map((id) => [
    id,
    {
      by: "pg",
      id,
      score: 1,
      time: 1_764_219_600,
      title: `Story ${id}`,
      type: "story",
      url: `{{base}}/articles/${articleNames[id % articleNames.length]}.html?story=${id}`
    }
  ])
)

/** Every artifact of bronze, grouped by item. */
const bronzeItems = (root: string) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const byItem = new Map<string, Array<ArtifactInfo>>()
    let after: ScannedArtifact | undefined
    for (;;) {
      const page = yield* reader.scan({
        after: after === undefined ? undefined : { mtimeMs: after.mtimeMs, location: after.location },
        limit: 1000
      })
      for (const entry of page.entries) {
        const item = `${entry.key.sourceType}/${entry.key.externalId}`
        byItem.set(item, [...(byItem.get(item) ?? []), entry])
      }
      after = page.entries.at(-1) ?? after
      if (page.complete || page.entries.length === 0) return byItem
    }
  }).pipe(Effect.provide(FileSystemBronze.layerReaderWith({ root, catalog: "scan" })))

/**
 * The newest version of a document (greatest version stamp; the unstamped first one is the oldest), and
 * whether its response record, `<base>-response` with the same stamp, is stored: read here from the
 * layout the README describes, not with the fetch side's own functions.
 */
const newestWithRecord = (infos: ReadonlyArray<ArtifactInfo>, base: string) => {
  const versions = infos
    .map((info) => info.key.artifactType)
    .filter((type) => type === base || type.startsWith(`${base}@`))
    .sort()
  const newest = versions.at(-1)
  if (newest === undefined) return undefined
  const record = newest.replace(base, `${base}-response`)
  return { type: newest, complete: infos.some((info) => info.key.artifactType === record) }
}

/** `item: document` for each newest document version stored without its response record. */
const incomplete = (byItem: ReadonlyMap<string, ReadonlyArray<ArtifactInfo>>) =>
  [...byItem].flatMap(([item, infos]) =>
    DOCUMENTS.flatMap((base) => {
      const newest = newestWithRecord(infos, base)
      return newest === undefined || newest.complete ? [] : [`${item}: ${newest.type}`]
    })
  )

const files = (root: string) =>
  Fs.existsSync(root)
    ? (Fs.readdirSync(root, { recursive: true, withFileTypes: true }) as Array<Fs.Dirent>)
        .filter((entry) => entry.isFile())
        .map((entry) => Path.relative(root, Path.join(entry.parentPath, entry.name)).split(Path.sep).join("/"))
    : []
const hidden = (root: string) => files(root).filter((f) => f.split("/").some((part) => part.startsWith(".")))

describe("crash-complete fetch writes", () => {
  it.live(
    `${KILLS} SIGKILLs of the fetch daemon while it stores documents and their records, then a restart: every document has its record`,
    () =>
      Effect.gen(function* () {
        const server = yield* FixtureServer
        const random = Prng.make(SEED)
        const dir = yield* Medallion.tempDir("medallion-fetch-crash-")
        const bronzeRoot = Path.join(dir, "bronze")
        const configFile = Medallion.writeJson(Path.join(dir, "medallion.json"), {
          bronze: { root: bronzeRoot },
          sources: [
            { type: "hn", baseUrl: server.url, maxItems: STORIES, every: "1 minute" },
            { type: "feed", name: "podcast", url: `${server.url}/podcast.xml`, every: "1 minute" },
            { type: "web", name: "site", sitemap: `${server.url}/sitemap.xml`, every: "1 minute" }
          ],
          http: { allowNetworks: ["127.0.0.1/32"], perHostInterval: "0 millis", perHostConcurrency: 4 },
          metrics: { fetchPort: 0 }
        })
        const spawn = () =>
          Medallion.spawn({ args: [...Medallion.flags(Path.join(dir, "fetch-data"), configFile), "fetch"] })

        const kills: Array<string> = []
        let incompleteSeen = 0
        let tempsSeen = 0
        for (let i = 0; i < KILLS; i++) {
          const at = random.between(0, KILL_AFTER_PROGRESS_MS)
          const before = files(bronzeRoot).length
          yield* Effect.scoped(
            Effect.gen(function* () {
              const daemon = yield* spawn()
              // Its first write of this run (start-up takes a few seconds here), or a while without one.
              const deadline = (yield* Clock.currentTimeMillis) + 30_000
              while (files(bronzeRoot).length === before && (yield* Clock.currentTimeMillis) < deadline) {
                assert.isUndefined(daemon.exit(), `the fetch daemon exited on its own:\n${daemon.output()}`)
                yield* Effect.sleep("20 millis")
              }
              yield* Effect.sleep(at)
              assert.isUndefined(daemon.exit(), `the fetch daemon exited before the kill:\n${daemon.output()}`)
              yield* daemon.kill("SIGKILL")
              yield* daemon.exited
            })
          )
          const left = incomplete(yield* bronzeItems(bronzeRoot))
          incompleteSeen += left.length
          tempsSeen += hidden(bronzeRoot).length
          kills.push(
            `kill ${i + 1}, ${at} ms after a write: ${left.length} incomplete, ${hidden(bronzeRoot).length} temp files`
          )
        }
        const context = `seed ${SEED}\n${kills.join("\n")}`
        yield* Effect.logInfo(`${context}\n${incompleteSeen} incomplete documents and ${tempsSeen} temp files seen`)

        // One more start, left to finish: it completes what the kills left.
        const last = yield* spawn()
        const deadline = (yield* Clock.currentTimeMillis) + 150_000
        let problems: ReadonlyArray<string> = ["not checked yet"]
        while (problems.length > 0) {
          const byItem = yield* bronzeItems(bronzeRoot)
          const stories = storyIds.filter(
            (id) => newestWithRecord(byItem.get(`hn/${id}`) ?? [], "article")?.complete === true
          )
          problems = [
            ...incomplete(byItem),
            ...(stories.length === STORIES ? [] : [`${STORIES - stories.length} stories without a complete article`]),
            ...hidden(bronzeRoot).map((file) => `${file}: a temp file`)
          ]
          if (problems.length === 0) break
          if ((yield* Clock.currentTimeMillis) > deadline || last.exit() !== undefined) {
            assert.deepStrictEqual(problems, [], `${context}\n${last.output().slice(-3000)}`)
          }
          yield* Effect.sleep("500 millis")
        }
        // Every visible file is a whole artifact of the catalog.
        const cataloged = new Set([...(yield* bronzeItems(bronzeRoot)).values()].flat().map((a) => a.location))
        const partial = files(bronzeRoot).filter(
          (f) => !f.split("/").some((part) => part.startsWith(".") || part.startsWith("_")) && !cataloged.has(f)
        )
        assert.deepStrictEqual(partial, [], context)
      }).pipe(Effect.provide(FixtureServer.layer({ hnItems: stories, topStories: storyIds }))),
    300_000
  )
})
