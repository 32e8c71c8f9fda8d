/**
 * Chosen YouTube videos through the YouTube Data API v3, base URL configurable: each video's resource
 * (`videos.list`, parts `snippet,statistics,contentDetails`) and its comment threads (`commentThreads.list`,
 * parts `snippet,replies`, 100 threads a page, followed by `pageToken` up to `maxCommentPages` pages). The
 * API key is the entry's (`YoutubeApiKey`), sent in the `X-Goog-Api-Key` header only: no URL and nothing
 * in bronze holds it.
 *
 * Bronze layout (sourceType `youtube`, one folder per video id):
 * - `video@<stamp>.json`: the `videos.list` answer as received;
 * - `comments-<n>@<stamp>.json`: the n-th page of comment threads of that fetch (same stamp), as received;
 * - `fetch-error@<stamp>.json`: what failed, an answer that does not match the API's shape included;
 * - `_quota:<entry name>/backoff@<stamp>.json`: `{ until, reason, status }` of each back-off a quota answer
 *   started or extended (a folder of the fetch side's own, no item).
 *
 * Every answer is checked with `YoutubeApi` before anything is read from it. A quota or rate-limit answer
 * (`quotaExceeded`, `rateLimitExceeded`) stops every request of this source for `quotaBackoff`, logged as
 * a warning naming the source and the reason: the video it hit stays due (nothing recorded), and one
 * stopped halfway through its comment pages is recorded as `quota-exceeded`, which makes it due again as
 * soon as the back-off has passed. The back-off is recorded in bronze and read back once per run (at
 * discovery, or by the first fetch of a run that discovers nothing, a backfill): a restarted daemon, or a
 * second one fetching the same entry, asks nothing until it has passed.
 */
import type { BronzeReader, BronzeWriter } from "@medallion/bronze"
import { Clock, DateTime, Duration, Effect, Option, Redacted, Schema, Semaphore } from "effect"
import * as ItemArtifacts from "../../../fetch/ItemArtifacts.ts"
import { type DiscoveredItem, type Source, itemResult, toSourceError } from "../../../fetch/Source.ts"
import type { FetchError } from "../../../http/FetchError.ts"
import { FetchHttp, type FetchResponse } from "../../../http/FetchHttp.ts"
import * as YoutubeApi from "../YoutubeApi.ts"
import { YoutubeApiKey } from "../YoutubeApiKey.ts"
import * as YoutubeNames from "../YoutubeNames.ts"

export const SOURCE_TYPE = YoutubeNames.SOURCE_TYPE

export interface YoutubeOptions {
  /** The entry's name, in warnings. */
  readonly name: string
  readonly baseUrl: string
  /** Video ids or watch URLs. */
  readonly videos: ReadonlyArray<string>
  /** Pages of comment threads asked per video and fetch (100 threads a page). */
  readonly maxCommentPages: number
  readonly refetchAfter: Duration.Duration
  /** After a failure, the video is not tried again for this long. */
  readonly retryFailedAfter: Duration.Duration
  /** After a quota or rate-limit answer, nothing is asked for this long. */
  readonly quotaBackoff: Duration.Duration
}

export const defaults: YoutubeOptions = {
  name: "youtube",
  baseUrl: YoutubeNames.DEFAULT_BASE_URL,
  videos: [],
  maxCommentPages: 5,
  refetchAfter: Duration.hours(6),
  retryFailedAfter: Duration.hours(1),
  quotaBackoff: Duration.hours(1)
}

/** The reason of the record of a fetch stopped by the quota: due again once the back-off has passed. */
export const QUOTA_EXCEEDED = "quota-exceeded"

/** The base name of the back-off records in the entry's `_quota:<entry name>` folder. */
export const BACKOFF = "backoff"

/** A back-off record: until when nothing is asked, the reason the API gave and the answer's HTTP status. */
export const BackoffRecord = Schema.Struct({
  until: Schema.String,
  reason: Schema.String,
  status: Schema.optional(Schema.Number)
})
export type BackoffRecord = typeof BackoffRecord.Type

const decodeBackoff = Schema.decodeUnknownOption(BackoffRecord)

type Got =
  | { readonly _tag: "Ok"; readonly response: FetchResponse }
  | { readonly _tag: "Failed"; readonly error: FetchError; readonly reasons: ReadonlyArray<string> }
  /** The quota is spent: this answer said so (`error`), or an earlier one and the back-off runs. */
  | { readonly _tag: "Quota"; readonly reason: string; readonly until: number; readonly error?: FetchError }

export const make = (
  partial: Partial<YoutubeOptions> = {}
): Source<FetchHttp | BronzeWriter | BronzeReader | YoutubeApiKey> => {
  const options = { ...defaults, ...partial }
  const base = options.baseUrl.replace(/\/+$/, "")
  const ids = options.videos.flatMap((v) => {
    const id = YoutubeNames.videoId(v)
    return id === undefined ? [] : [id]
  })
  // The source's own back-off: until when nothing is asked, and the reason that started it.
  let blockedUntil = 0
  let blockedBy = ""

  const until = (millis: number) => DateTime.formatIso(DateTime.makeUnsafe(millis))

  // Bronze holds the back-off too, so a restart or a second process keeps it.
  const quotaFolder = { sourceType: SOURCE_TYPE, externalId: YoutubeNames.quotaId(options.name) }

  /**
   * A new version each time (bronze is write-once): a second record within the same second takes the next
   * second's stamp. A record that cannot be written is a WARN; the back-off holds in this process anyway.
   */
  const recordBackoff = (at: number, status: number | undefined) => {
    const put = (stamp: number) =>
      ItemArtifacts.putJson(
        { ...quotaFolder, artifactType: `${BACKOFF}@${ItemArtifacts.formatStamp(stamp)}`, ext: "json" },
        { until: until(blockedUntil), reason: blockedBy, ...(status === undefined ? {} : { status }) }
      )
    return put(at).pipe(
      Effect.catchTag("ArtifactConflict", () => put(at + 1000)),
      Effect.catchCause((cause) =>
        Effect.logWarning(
          `youtube source "${options.name}": the back-off until ${until(blockedUntil)} could not be recorded in bronze; a restart will not know it`,
          cause
        )
      )
    )
  }

  /**
   * Adopts the latest end among this entry's recorded back-offs (several processes may have recorded
   * some) when it is later than the one this source knows. Bronze that cannot be read is a WARN: the run
   * goes on with what this process knows.
   */
  const adoptRecorded = Effect.gen(function* () {
    const infos = yield* ItemArtifacts.list(quotaFolder.sourceType, quotaFolder.externalId)
    const now = yield* Clock.currentTimeMillis
    // Only records young enough to still run are read: a back-off lasts `quotaBackoff`, or a day at most
    // (the API's quota resets daily), so the folder's years of old records cost one listing, not a read each.
    const horizon = now - Math.max(Duration.toMillis(options.quotaBackoff), Duration.toMillis(Duration.days(1)))
    let latest: { readonly ends: number; readonly record: BackoffRecord; readonly location: string } | undefined
    for (const version of ItemArtifacts.versions(infos, BACKOFF).filter((v) => v.at >= horizon)) {
      const record = Option.flatMap(yield* ItemArtifacts.readJson(version.info.key), decodeBackoff)
      const ends = Option.flatMap(record, (r) => Option.map(DateTime.make(r.until), DateTime.toEpochMillis))
      if (Option.isNone(record) || Option.isNone(ends)) {
        yield* Effect.logWarning(
          `youtube source "${options.name}": ${version.info.location} is not a back-off record ({ until, reason, status }); it is ignored`
        )
        continue
      }
      if (ends.value > now && (latest === undefined || ends.value > latest.ends))
        latest = { ends: ends.value, record: record.value, location: version.info.location }
    }
    if (latest === undefined || latest.ends <= blockedUntil) return
    blockedUntil = latest.ends
    blockedBy = latest.record.reason
    const status = latest.record.status === undefined ? "" : ` (HTTP ${latest.record.status})`
    yield* Effect.logWarning(
      `youtube source "${options.name}": the API answered ${blockedBy}${status} before this run: no request until ${until(blockedUntil)} (quotaBackoff, recorded in ${latest.location}); the videos stay due`
    )
  }).pipe(
    Effect.catchCause((cause) =>
      Effect.logWarning(
        `youtube source "${options.name}": the recorded back-offs could not be read from bronze; this run goes on without them`,
        cause
      )
    )
  )

  // Read once per run: by the discovery, else by the first fetch (a run of given items discovers nothing).
  let readBack = false
  const readBackLock = Semaphore.makeUnsafe(1)
  const readBackOnce = readBackLock.withPermit(
    Effect.suspend(() =>
      readBack
        ? Effect.void
        : Effect.andThen(
            adoptRecorded,
            Effect.sync(() => {
              readBack = true
            })
          )
    )
  )

  /** One GET of the API with the key in its header; refused while the back-off runs. */
  const get = (url: string) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (now < blockedUntil) return { _tag: "Quota", reason: blockedBy, until: blockedUntil } as Got
      const key = yield* YoutubeApiKey
      const response = yield* Effect.result(
        (yield* FetchHttp).request({
          url,
          accept: "application/json",
          headers: { "x-goog-api-key": Redacted.value(key) }
        })
      )
      if (response._tag === "Success") return { _tag: "Ok", response: response.success } as Got
      const error = response.failure
      const reasons = YoutubeApi.errorReasons(error.bodyExcerpt)
      const quota = reasons.find((r) => YoutubeApi.QUOTA_REASONS.has(r))
      if (quota === undefined || (error.status !== 403 && error.status !== 429))
        return { _tag: "Failed", error, reasons } as Got
      const at = yield* Clock.currentTimeMillis
      const wait = Math.max(Duration.toMillis(options.quotaBackoff), (error.retryAfterSeconds ?? 0) * 1000)
      if (at + wait > blockedUntil) {
        blockedUntil = at + wait
        blockedBy = quota
        yield* Effect.logWarning(
          `youtube source "${options.name}": the API answered ${quota} (HTTP ${error.status}): no request until ${until(blockedUntil)} (quotaBackoff); the videos stay due`
        )
        yield* recordBackoff(at, error.status)
      }
      return { _tag: "Quota", reason: quota, until: blockedUntil, error } as Got
    })

  const videoUrl = (id: string) => `${base}/videos?part=snippet,statistics,contentDetails&id=${id}`
  const threadsUrl = (id: string, pageToken: string | undefined) =>
    `${base}/commentThreads?part=snippet,replies&videoId=${id}&maxResults=100&textFormat=plainText` +
    (pageToken === undefined ? "" : `&pageToken=${encodeURIComponent(pageToken)}`)

  const quotaRecord = (artifact: string, url: string, got: Extract<Got, { _tag: "Quota" }>) => ({
    artifact,
    url,
    reason: QUOTA_EXCEEDED,
    message:
      got.error === undefined
        ? `not asked: the source backs off after ${got.reason} until ${until(got.until)}`
        : `${got.reason}: ${got.error.message}; no request until ${until(got.until)}`,
    ...(got.error?.status === undefined ? {} : { status: got.error.status })
  })

  const discover = Effect.gen(function* () {
    readBack = false
    yield* readBackOnce
    return ids.map((externalId): DiscoveredItem => ({ externalId }))
  }).pipe(Effect.withSpan("YoutubeSource.discover"))

  const fetchItem = (discovered: DiscoveredItem) =>
    Effect.gen(function* () {
      const id = discovered.externalId
      const item = { sourceType: SOURCE_TYPE, externalId: id }
      const written: Array<string> = []
      const result = itemResult(id, written)
      if (!YoutubeNames.VIDEO_ID.test(id)) return result("skipped", "not a YouTube video id")
      if (!readBack) yield* readBackOnce
      const now = yield* Clock.currentTimeMillis
      if (now < blockedUntil) return result("skipped", `quota back-off after ${blockedBy} until ${until(blockedUntil)}`)

      const infos = yield* ItemArtifacts.list(SOURCE_TYPE, id)
      const last = ItemArtifacts.latest(infos, "video")
      const lastFailure = ItemArtifacts.latest(infos, "fetch-error")
      // A failure since the last video stored (a bad answer is stored, then recorded) is retried later,
      // but a fetch the quota stopped is due as soon as the back-off lets it ask.
      const failedSince = lastFailure !== undefined && (last === undefined || lastFailure.at >= last.at)
      if (failedSince) {
        const record = Option.getOrUndefined(yield* ItemArtifacts.readJson(lastFailure.info.key)) as
          { readonly reason?: unknown } | undefined
        if (record?.reason !== QUOTA_EXCEEDED && now - lastFailure.at < Duration.toMillis(options.retryFailedAfter))
          return result("skipped", "failed recently")
      } else if (last !== undefined && now - last.at < Duration.toMillis(options.refetchAfter))
        return result("skipped", "up to date")

      const url = videoUrl(id)
      const got = yield* get(url)
      // Nothing of this video was asked for: it stays as it was, and due.
      if (got._tag === "Quota") return result("skipped", `quota back-off after ${got.reason} until ${until(got.until)}`)
      if (got._tag === "Failed") {
        written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf("video", got.error)))
        return result("failed", got.error.message)
      }
      // Bronze keeps what was received, even an answer that turns out not to be a video list.
      const stamp = yield* ItemArtifacts.stampNow
      const writer = yield* ItemArtifacts.writer
      const put = (artifactType: string, bytes: Uint8Array) =>
        writer.put({ ...item, artifactType, ext: "json" }, bytes).pipe(
          Effect.map((r) => r.location),
          Effect.catchTag("ArtifactConflict", () => Effect.succeed(undefined))
        )
      const videoAt = yield* put(`video@${stamp}`, got.response.body)
      if (videoAt === undefined) return result("skipped", "fetched by another fetcher this second")
      written.push(videoAt)
      const list = yield* Effect.result(YoutubeApi.decodeVideoList(got.response.body))
      if (list._tag === "Failure") {
        written.push(
          yield* ItemArtifacts.recordFailure(item, {
            artifact: "video",
            url: got.response.url,
            reason: "invalid-response",
            message: list.failure.reason
          })
        )
        return result("failed", list.failure.reason)
      }
      if (!list.success.items.some((v) => v.id === id)) {
        // A deleted or private video is answered with no item: the video is gone (silver's `gone`).
        const message = `the API returned no video with the id ${id} (deleted, private or never published)`
        written.push(
          yield* ItemArtifacts.recordFailure(item, {
            artifact: "video",
            url: got.response.url,
            reason: "not-found",
            status: 404,
            message
          })
        )
        return result("failed", message)
      }

      let pageToken: string | undefined = undefined
      for (let n = 1; n <= options.maxCommentPages; n++) {
        const name = `comments-${n}`
        const pageUrl = threadsUrl(id, pageToken)
        const page = yield* get(pageUrl)
        if (page._tag === "Quota") {
          written.push(yield* ItemArtifacts.recordFailure(item, quotaRecord(name, pageUrl, page)))
          return result("fetched", `comments incomplete: quota back-off after ${page.reason}`)
        }
        if (page._tag === "Failed") {
          // Comments turned off by the video's owner: nothing to fetch, nothing failed.
          if (page.reasons.includes("commentsDisabled")) return result("fetched", "comments disabled")
          written.push(yield* ItemArtifacts.recordFailure(item, ItemArtifacts.failureOf(name, page.error)))
          return result("failed", `${name}: ${page.error.message}`)
        }
        const pageAt = yield* put(`${name}@${stamp}`, page.response.body)
        if (pageAt !== undefined) written.push(pageAt)
        const threads = yield* Effect.result(YoutubeApi.decodeCommentThreads(page.response.body))
        if (threads._tag === "Failure") {
          written.push(
            yield* ItemArtifacts.recordFailure(item, {
              artifact: name,
              url: page.response.url,
              reason: "invalid-response",
              message: threads.failure.reason
            })
          )
          return result("failed", `${name}: ${threads.failure.reason}`)
        }
        pageToken = threads.success.nextPageToken
        if (pageToken === undefined || pageToken.length === 0) return result("fetched")
      }
      yield* Effect.logWarning(
        `youtube source "${options.name}": video ${id} has more than ${options.maxCommentPages} page(s) of comment threads (maxCommentPages); the rest are not fetched`
      )
      return result("fetched")
    }).pipe(
      Effect.mapError(toSourceError(SOURCE_TYPE, discovered.externalId)),
      Effect.withSpan("YoutubeSource.fetchItem")
    )

  return { sourceType: SOURCE_TYPE, discover, fetchItem }
}
