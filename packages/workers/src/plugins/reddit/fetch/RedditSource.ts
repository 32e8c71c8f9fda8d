/**
 * Reddit threads through its public JSON endpoints, base URL configurable: a subreddit's listing
 * (`/r/<name>/<listing>.json`) and/or configured threads, each thread as `/comments/<id>.json`, its `more`
 * stubs expanded with `/api/morechildren.json` up to `maxMoreComments` comments per thread.
 *
 * Bronze layout (sourceType `reddit`):
 * - `_r_<name>/<listing>.json` (`<listing>@<stamp>.json` when it changed): the listing as received;
 *   `selected.json`: the ids handed on to be fetched (`maxPosts`);
 * - `<id>/thread@<stamp>.json`: the thread as received (post and comment tree);
 * - `<id>/more-<n>@<stamp>.json`: the morechildren answers of that fetch (same stamp), as received;
 * - `<id>/fetch-error@<stamp>.json`: what failed, a response that does not match the API's shape included.
 *
 * Every response is checked with `RedditThing` before anything is read from it. A thread is fetched again
 * once its newest copy is older than `refetchAfter`, while the post is younger than `refetchWindow`.
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, Duration, Effect } from "effect"
import * as ItemArtifacts from "../../../fetch/ItemArtifacts.ts"
import * as Selection from "../../../fetch/Selection.ts"
import { type DiscoveredItem, type Source, itemResult, toSourceError } from "../../../fetch/Source.ts"
import { FetchHttp } from "../../../http/FetchHttp.ts"
import { RobotsTxt } from "../../../http/RobotsTxt.ts"
import * as RedditNames from "../RedditNames.ts"
import * as RedditThing from "../RedditThing.ts"

export const SOURCE_TYPE = RedditNames.SOURCE_TYPE

export type RedditListing = "new" | "hot" | "top" | "rising"

export const listingId = RedditNames.listingId

export const threadId = RedditNames.threadId

export interface RedditOptions {
  readonly baseUrl: string
  readonly subreddit: string | undefined
  readonly listing: RedditListing
  /** Thread permalinks (or ids) fetched besides the listing's. */
  readonly threads: ReadonlyArray<string>
  /** Posts asked of the listing and handed on (Reddit sends at most 100). */
  readonly maxPosts: number
  /** Comments asked of `/api/morechildren.json` per thread and fetch, at most 100 a request. */
  readonly maxMoreComments: number
  readonly refetchAfter: Duration.Duration
  readonly refetchWindow: Duration.Duration
  /** After a failure, the thread is not tried again for this long. */
  readonly retryFailedAfter: Duration.Duration
  /** Ask the site's robots.txt before each request. */
  readonly robots: boolean
}

export const defaults: RedditOptions = {
  baseUrl: RedditNames.DEFAULT_BASE_URL,
  subreddit: undefined,
  listing: "new",
  threads: [],
  maxPosts: 25,
  maxMoreComments: 500,
  refetchAfter: Duration.hours(6),
  refetchWindow: Duration.hours(48),
  retryFailedAfter: Duration.hours(1),
  robots: true
}

/** Reddit's own limit of comment ids in one morechildren request. */
const MORE_PER_REQUEST = 100

const ID = /^[a-z0-9]{1,16}$/

export const make = (
  partial: Partial<RedditOptions> = {}
): Source<FetchHttp | RobotsTxt | BronzeWriter | BronzeReader> => {
  const options = { ...defaults, ...partial }
  const base = options.baseUrl.replace(/\/+$/, "")
  const configured = options.threads.flatMap((t) => {
    const id = threadId(t)
    return id === undefined ? [] : [id]
  })

  /** One GET of the API, robots.txt asked first when configured; a refusal is a failure record's reason. */
  const get = (url: string) =>
    Effect.gen(function* () {
      if (options.robots && !(yield* (yield* RobotsTxt).isAllowed(url)))
        return {
          _tag: "Refused" as const,
          record: {
            url,
            reason: "robots-disallowed",
            message: "robots.txt disallows this URL for our User-Agent"
          }
        }
      const response = yield* Effect.result((yield* FetchHttp).request({ url, accept: "application/json" }))
      return response._tag === "Failure"
        ? { _tag: "Failed" as const, error: response.failure }
        : { _tag: "Ok" as const, response: response.success }
    })

  const discover = Effect.gen(function* () {
    const ids: Array<string> = []
    const subreddit = options.subreddit
    if (subreddit !== undefined) {
      const folder = { sourceType: SOURCE_TYPE, externalId: listingId(subreddit) }
      const name = options.listing
      const url = `${base}/r/${encodeURIComponent(subreddit)}/${name}.json?limit=${options.maxPosts}&raw_json=1`
      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, folder.externalId)
      const got = yield* get(url)
      if (got._tag === "Refused") yield* ItemArtifacts.recordFailure(folder, { artifact: name, ...got.record })
      else if (got._tag === "Failed")
        yield* ItemArtifacts.recordFailure(folder, ItemArtifacts.failureOf(name, got.error))
      else {
        yield* ItemArtifacts.putVersionIfChanged(infos, folder, name, "json", got.response.body)
        const listing = yield* Effect.result(RedditThing.decodeListing(got.response.body))
        if (listing._tag === "Failure")
          yield* ItemArtifacts.recordFailure(folder, {
            artifact: name,
            url: got.response.url,
            reason: "invalid-response",
            message: listing.failure.reason
          })
        else {
          const listed = RedditThing.postIds(listing.success).map((id) => id.toLowerCase())
          const selected = listed.slice(0, options.maxPosts)
          yield* Selection.record(folder, { limit: options.maxPosts, setting: "maxPosts", items: selected })
          ids.push(...selected)
        }
      }
    }
    for (const id of configured) if (!ids.includes(id)) ids.push(id)
    return ids.map((externalId): DiscoveredItem => ({ externalId }))
  }).pipe(Effect.mapError(toSourceError(SOURCE_TYPE)), Effect.withSpan("RedditSource.discover"))

  const fetchItem = (discovered: DiscoveredItem) =>
    Effect.gen(function* () {
      const id = discovered.externalId
      const item = { sourceType: SOURCE_TYPE, externalId: id }
      const written: Array<string> = []
      const result = itemResult(id, written)
      if (!ID.test(id)) return result("skipped", "not a Reddit thread id")

      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, id)
      const now = yield* Clock.currentTimeMillis
      const last = ItemArtifacts.latest(infos, "thread")
      const lastFailure = ItemArtifacts.latest(infos, "fetch-error")
      // A failure since the last thread stored (a bad answer is stored, then recorded) is retried later.
      const failedSince = lastFailure !== undefined && (last === undefined || lastFailure.at >= last.at)
      if (failedSince) {
        if (now - lastFailure.at < Duration.toMillis(options.retryFailedAfter))
          return result("skipped", "failed recently")
      } else if (last !== undefined) {
        if (now - last.at < Duration.toMillis(options.refetchAfter)) return result("skipped", "up to date")
        const known = yield* RedditThing.decodeThread(yield* ItemArtifacts.readBytes(last.info.key)).pipe(
          Effect.catch(() => Effect.succeed(undefined))
        )
        const created = known?.post.created_utc
        if (created !== undefined && now - created * 1000 >= Duration.toMillis(options.refetchWindow))
          return result("skipped", "up to date (older than refetchWindow)")
      }

      const url = `${base}/comments/${id}.json?raw_json=1`
      const got = yield* get(url)
      if (got._tag === "Refused") {
        written.push(yield* ItemArtifacts.recordFailure(item, { artifact: "thread", ...got.record }))
        return result("failed", got.record.reason)
      }
      if (got._tag === "Failed") {
        written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("thread", got.error)))
        return result("failed", got.error.message)
      }
      // Bronze keeps what was received, even a response that turns out not to be a thread.
      const stamp = yield* ItemArtifacts.stampNow
      const writer = yield* ItemArtifacts.writer
      const put = (artifactType: string, bytes: Uint8Array) =>
        writer.put({ ...item, artifactType, ext: "json" }, bytes).pipe(
          Effect.map((r) => r.location),
          Effect.catchTag("ArtifactConflict", () => Effect.succeed(undefined))
        )
      const threadAt = yield* put(`thread@${stamp}`, got.response.body)
      if (threadAt === undefined) return result("skipped", "fetched by another fetcher this second")
      written.push(threadAt)
      const thread = yield* Effect.result(RedditThing.decodeThread(got.response.body))
      if (thread._tag === "Failure") {
        written.push(
          yield* ItemArtifacts.recordFailure(item, {
            artifact: "thread",
            url: got.response.url,
            reason: "invalid-response",
            message: thread.failure.reason
          })
        )
        return result("failed", thread.failure.reason)
      }

      // The stubs' comments, breadth first, within the budget; an answer's own stubs join the queue.
      const queue: Array<string> = []
      const queued = new Set<string>()
      let unexpandable = 0
      const enqueue = (stubs: ReadonlyArray<RedditThing.RawMore>) => {
        for (const stub of stubs) {
          if (stub.children.length === 0) unexpandable += stub.count ?? 0
          for (const child of stub.children)
            if (!queued.has(child)) {
              queued.add(child)
              queue.push(child)
            }
        }
      }
      enqueue(RedditThing.moreStubs(thread.success.comments.data.children))
      let budget = options.maxMoreComments
      let n = 0
      while (queue.length > 0 && budget > 0) {
        const batch = queue.splice(0, Math.min(MORE_PER_REQUEST, budget))
        budget -= batch.length
        n++
        const name = `more-${n}`
        const moreUrl = `${base}/api/morechildren.json?api_type=json&raw_json=1&link_id=t3_${id}&children=${batch.join(",")}`
        const more = yield* get(moreUrl)
        if (more._tag !== "Ok") {
          written.push(
            yield* ItemArtifacts.recordFailure(
              item,
              more._tag === "Refused" ? { artifact: name, ...more.record } : ItemArtifacts.failureOf(name, more.error)
            )
          )
          queue.unshift(...batch)
          break
        }
        const moreAt = yield* put(`${name}@${stamp}`, more.response.body)
        if (moreAt !== undefined) written.push(moreAt)
        const things = yield* Effect.result(RedditThing.decodeMoreChildren(more.response.body))
        if (things._tag === "Failure") {
          written.push(
            yield* ItemArtifacts.recordFailure(item, {
              artifact: name,
              url: more.response.url,
              reason: "invalid-response",
              message: things.failure.reason
            })
          )
          break
        }
        enqueue(RedditThing.moreStubs(things.success))
      }
      const left = queue.length + unexpandable
      if (left > 0)
        yield* Effect.logWarning(
          `reddit ${id}: ${left} comment(s) not fetched (maxMoreComments ${options.maxMoreComments}, a failed request, or "continue this thread" stubs)`
        )
      return result("fetched")
    }).pipe(
      Effect.mapError(toSourceError(SOURCE_TYPE, discovered.externalId)),
      Effect.withSpan("RedditSource.fetchItem")
    )

  return { sourceType: SOURCE_TYPE, discover, fetchItem }
}
