/**
 * Hacker News through its Firebase API shape (`/v0/topstories.json`,
 * `/v0/item/<id>.json`), base URL configurable.
 *
 * Bronze layout (sourceType `hn`):
 * - `_lists/topstories@<stamp>.json`: each list response as received, stored
 *   when it changed since the last one, so silver knows discovered items;
 *   `_lists/selected@<stamp>.json`: the ids handed on to be fetched (`maxItems`);
 * - `<id>/item.json`: the item as received; `item@<stamp>.json` on a refetch;
 * - `<id>/comments@<stamp>.json`: the comment tree, one JSON array of the raw
 *   comment items in breadth-first order (each element byte for byte as received);
 * - `<id>/article.html` + `article-response.json`: the linked page as received
 *   and its response (final URL, status, headers: the charset lives there);
 * - `<id>/fetch-error@<stamp>.json`: what failed (status, headers, error).
 *
 * Refetch policy: the comments of a story younger than `refetchWindow` are
 * fetched again once the newest `comments@` is older than `commentsRefetchAfter`
 * (a new stamped artifact, never an overwrite). All of it is decided from what
 * bronze holds.
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, Duration, Effect } from "effect"
import * as HnItem from "../extract/HnItem.ts"
import { FetchHttp } from "../http/FetchHttp.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"
import * as Selection from "./Selection.ts"
import * as SourceTypes from "./SourceTypes.ts"
import { type DiscoveredItem, type Source, itemResult, toSourceError } from "./Source.ts"

export const SOURCE_TYPE = SourceTypes.HN
export const LISTS_ID = SourceTypes.HN_LISTS_ID

export type HnList = "topstories" | "newstories" | "beststories" | "askstories" | "showstories" | "jobstories"

export interface HackerNewsOptions {
  readonly baseUrl: string
  readonly lists: ReadonlyArray<HnList>
  /** Items handed on per discovery, from the top of the lists. */
  readonly maxItems: number
  /** Comments fetched per story and pass (breadth first). */
  readonly maxComments: number
  readonly commentConcurrency: number
  readonly commentsRefetchAfter: Duration.Duration
  /** Only stories younger than this get their comments refetched. */
  readonly refetchWindow: Duration.Duration
  /** After a failure, the item is not tried again for this long. */
  readonly retryFailedAfter: Duration.Duration
  readonly fetchArticles: boolean
}

export const defaults: HackerNewsOptions = {
  baseUrl: "https://hacker-news.firebaseio.com",
  lists: ["topstories"],
  maxItems: 30,
  maxComments: 500,
  commentConcurrency: 8,
  commentsRefetchAfter: Duration.hours(6),
  refetchWindow: Duration.hours(48),
  retryFailedAfter: Duration.hours(1),
  fetchArticles: true
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const make = (partial: Partial<HackerNewsOptions> = {}): Source<FetchHttp | BronzeWriter | BronzeReader> => {
  const options = { ...defaults, ...partial }
  const base = options.baseUrl.replace(/\/+$/, "")
  const listsItem = { sourceType: SOURCE_TYPE, externalId: LISTS_ID }

  const discover = Effect.gen(function* () {
    const http = yield* FetchHttp
    const ids: Array<number> = []
    for (const list of options.lists) {
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, LISTS_ID)
      const response = yield* Effect.result(
        http.request({ url: `${base}/v0/${list}.json`, accept: "application/json" })
      )
      if (response._tag === "Failure") {
        yield* ItemArtifacts.recordFailure(listsItem, ItemArtifacts.failureOf(list, response.failure))
        continue
      }
      yield* ItemArtifacts.putVersionIfChanged(infos, listsItem, list, "json", response.success.body)
      const parsed = yield* Effect.result(HnItem.parseIds(response.success.body))
      if (parsed._tag === "Failure") {
        yield* ItemArtifacts.recordFailure(listsItem, {
          artifact: list,
          url: response.success.url,
          reason: "invalid-response",
          message: parsed.failure.reason
        })
        continue
      }
      for (const id of parsed.success) if (!ids.includes(id)) ids.push(id)
    }
    const selected = ids.slice(0, options.maxItems).map(String)
    // The lists name more ids than are fetched: bronze says which, so silver can tell the others apart.
    if (ids.length > 0)
      yield* Selection.record(listsItem, { limit: options.maxItems, setting: "maxItems", items: selected })
    return selected.map((externalId): DiscoveredItem => ({ externalId }))
  }).pipe(Effect.mapError(toSourceError(SOURCE_TYPE)), Effect.withSpan("HackerNewsSource.discover"))

  /** Fetches the comment tree breadth first; returns the raw bodies of the comments that parsed. */
  const fetchComments = (kids: ReadonlyArray<number>) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const bodies: Array<string> = []
      let level = [...kids]
      let failed = 0
      while (level.length > 0 && bodies.length < options.maxComments) {
        const batch = level.slice(0, options.maxComments - bodies.length)
        const fetched = yield* Effect.forEach(
          batch,
          (id) =>
            http.request({ url: `${base}/v0/item/${id}.json`, accept: "application/json" }).pipe(
              Effect.flatMap((r) =>
                Effect.map(HnItem.parseItem(r.body), (item) => ({ body: decoder.decode(r.body).trim(), item }))
              ),
              Effect.result
            ),
          { concurrency: options.commentConcurrency }
        )
        const next: Array<number> = []
        for (const result of fetched) {
          if (result._tag === "Failure" || result.success.item === undefined) {
            failed++
            continue
          }
          bodies.push(result.success.body)
          next.push(...result.success.item.kids)
        }
        level = next
      }
      return { bodies, failed }
    })

  const fetchItem = (discovered: DiscoveredItem) =>
    Effect.gen(function* () {
      const http = yield* FetchHttp
      const item = { sourceType: SOURCE_TYPE, externalId: discovered.externalId }
      const id = Number(discovered.externalId)
      const written: Array<string> = []
      const result = itemResult(discovered.externalId, written)
      if (!Number.isSafeInteger(id) || id <= 0) return result("skipped", "not an HN item id")

      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, discovered.externalId)
      const now = yield* Clock.currentTimeMillis
      const lastItem = ItemArtifacts.latest(infos, "item")
      const lastComments = ItemArtifacts.latest(infos, "comments")
      const lastFailure = ItemArtifacts.latest(infos, "fetch-error")
      const recentlyFailed =
        lastFailure !== undefined && now - lastFailure.at < Duration.toMillis(options.retryFailedAfter)

      // What bronze already holds about the story decides what is due.
      const known =
        lastItem === undefined
          ? undefined
          : yield* HnItem.parseItem(yield* ItemArtifacts.readBytes(lastItem.info.key)).pipe(
              Effect.catch(() => Effect.succeed(undefined))
            )
      const storyTime = known?.time === undefined ? undefined : known.time * 1000
      const hasKids = known === undefined || known.kids.length > 0
      const commentsDue =
        hasKids &&
        (lastComments === undefined ||
          (now - lastComments.at >= Duration.toMillis(options.commentsRefetchAfter) &&
            storyTime !== undefined &&
            now - storyTime < Duration.toMillis(options.refetchWindow)))
      const articleDue =
        options.fetchArticles &&
        (known === undefined || known.url !== undefined) &&
        // A page stored without its response record (a fetch killed between the two) is fetched again.
        !ItemArtifacts.isComplete(infos, ItemArtifacts.latest(infos, "article"))
      if (lastItem !== undefined && !commentsDue && !articleDue) return result("skipped", "up to date")
      if (recentlyFailed && (lastItem === undefined || !commentsDue)) return result("skipped", "failed recently")

      // The item itself: first fetch, or again for a comment refetch (its `kids` changed).
      let itemBytes: Uint8Array
      if (lastItem === undefined || commentsDue) {
        const response = yield* Effect.result(
          http.request({ url: `${base}/v0/item/${id}.json`, accept: "application/json" })
        )
        if (response._tag === "Failure") {
          written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("item", response.failure)))
          return result("failed", response.failure.message)
        }
        itemBytes = response.success.body
        const location = yield* ItemArtifacts.putVersionIfChanged(infos, item, "item", "json", itemBytes)
        if (location !== undefined) written.push(location)
      } else {
        itemBytes = yield* ItemArtifacts.readBytes(lastItem.info.key)
      }

      const parsed = yield* Effect.result(HnItem.parseItem(itemBytes))
      if (parsed._tag === "Failure") {
        written.push(
          yield* ItemArtifacts.recordFailure(item, {
            artifact: "item",
            url: `${base}/v0/item/${id}.json`,
            reason: "invalid-response",
            message: parsed.failure.reason
          })
        )
        return result("failed", parsed.failure.reason)
      }
      const story = parsed.success
      if (story === undefined) return result("fetched", "the API has no such item (null)")
      if (story.state !== "live") return result("fetched", `the item is ${story.state}`)

      if (commentsDue && story.kids.length > 0) {
        const { bodies, failed } = yield* fetchComments(story.kids)
        const stamp = yield* ItemArtifacts.stampNow
        const writer = yield* ItemArtifacts.writer
        const put = yield* writer.put(
          { ...item, artifactType: `comments@${stamp}`, ext: "json" },
          encoder.encode(`[${bodies.join(",")}]\n`)
        )
        written.push(put.location)
        if (failed > 0) yield* Effect.logWarning(`hn ${id}: ${failed} comments could not be fetched`)
      }

      if (articleDue && story.url !== undefined && !recentlyFailed) {
        const page = yield* Effect.result(http.request({ url: story.url, accept: "text/html,application/xhtml+xml" }))
        if (page._tag === "Failure") {
          written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("article", page.failure)))
        } else {
          const stored = yield* ItemArtifacts.putDocument(infos, item, "article", "html", page.success)
          if (stored !== undefined) written.push(...stored.written)
        }
      }
      return result("fetched")
    }).pipe(
      Effect.mapError(toSourceError(SOURCE_TYPE, discovered.externalId)),
      Effect.withSpan("HackerNewsSource.fetchItem")
    )

  return { sourceType: SOURCE_TYPE, discover, fetchItem }
}
