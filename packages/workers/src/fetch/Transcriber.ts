/**
 * Transcription of an item's audio or video through a Whisper-compatible HTTP
 * API (OpenAI `/v1/audio/transcriptions` with `response_format=verbose_json`;
 * whisper.cpp's server and others speak it). It reads the media from bronze and
 * writes the raw response, all segments and timestamps, as `transcript.json`
 * beside it. A daily spend limit (items and audio minutes) is counted from
 * bronze (`SpendLedger`). The API key is `Redacted`: never logged, never stored.
 */
import { BronzeReader, BronzeWriter, location, type ItemKey } from "@medallion/bronze"
import { Config, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { HttpBody } from "effect/http"
import * as WhisperTranscript from "../extract/WhisperTranscript.ts"
import { FetchHttp, type TestResponse } from "../http/FetchHttp.ts"
import * as ApiRequest from "./ApiRequest.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"
import { itemResult, toSourceError, type ItemFetchResult, type SourceError } from "./Source.ts"
import * as SpendLedger from "./SpendLedger.ts"

export interface TranscriberOptions {
  /** Base URL of the API: `https://api.openai.com`, `http://127.0.0.1:8080` (whisper.cpp), ... */
  readonly endpoint: string
  readonly model: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly language?: string | undefined
  readonly maxItemsPerDay: number
  readonly maxMinutesPerDay: number
  /** Media larger than this are not sent (OpenAI accepts 25 MB). */
  readonly maxMediaBytes: number
  readonly timeout: Duration.Duration
}

export const defaults: TranscriberOptions = {
  endpoint: "https://api.openai.com",
  model: "whisper-1",
  apiKey: Option.none(),
  maxItemsPerDay: 100,
  maxMinutesPerDay: 600,
  maxMediaBytes: 25 * 1024 * 1024,
  timeout: Duration.minutes(10)
}

export const LEDGER = "transcription"

const mediaTypes: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  opus: "audio/opus",
  flac: "audio/flac",
  webm: "audio/webm",
  mp4: "video/mp4"
}

/** What the API answers `Transcriber.layerTest` for one item. */
export type TranscriberTestAnswer =
  /** A 200 with this verbose_json. */
  | { readonly transcript: WhisperTranscript.VerboseJson }
  /** The API's answer as given: a 401, a 500, a body that is not verbose_json, ... */
  | { readonly response: TestResponse }

const transcriptionsUrl = (options: TranscriberOptions) =>
  `${options.endpoint.replace(/\/+$/, "")}/v1/audio/transcriptions`

export class Transcriber extends Context.Service<
  Transcriber,
  {
    readonly options: TranscriberOptions
    /** Transcribes the item's media unless it has a transcript already or today's budget is spent. */
    readonly transcribe: (item: ItemKey) => Effect.Effect<ItemFetchResult, SourceError>
  }
>()("@medallion/workers/Transcriber") {
  static readonly layer = (options: Partial<TranscriberOptions> = {}) =>
    Layer.effect(Transcriber, make({ ...defaults, ...options }))

  /**
   * The double for users' tests: the real transcriber (skip rules, spend limit, failure records, the raw
   * transcript written to bronze) with the API's answer for each item given by `answer` (through
   * `FetchHttp.layerTest`, so statuses and retries are the client's). Needs bronze, no server.
   */
  static readonly layerTest = (
    answer: (item: ItemKey) => TranscriberTestAnswer,
    options: Partial<TranscriberOptions> = {}
  ): Layer.Layer<Transcriber, never, BronzeReader | BronzeWriter> =>
    Layer.effect(
      Transcriber,
      Effect.gen(function* () {
        const full = { ...defaults, endpoint: "https://transcription.test", ...options }
        const bronze = Context.pick(BronzeReader, BronzeWriter)(yield* Effect.context<BronzeReader | BronzeWriter>())
        const transcribe = (item: ItemKey) => {
          const given = answer(item)
          const response: TestResponse =
            "transcript" in given
              ? { headers: { "content-type": "application/json" }, body: JSON.stringify(given.transcript) }
              : given.response
          return Effect.flatMap(make(full), (real) => real.transcribe(item)).pipe(
            Effect.provide(FetchHttp.layerTest({ [transcriptionsUrl(full)]: response })),
            Effect.provideContext(bronze)
          )
        }
        return Transcriber.of({ options: full, transcribe })
      })
    )

  /**
   * From the environment: `MEDALLION_WHISPER_URL`, `MEDALLION_WHISPER_MODEL`, `MEDALLION_WHISPER_API_KEY`
   * (secret), `MEDALLION_WHISPER_MAX_ITEMS_PER_DAY`, `MEDALLION_WHISPER_MAX_MINUTES_PER_DAY`.
   */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function* () {
      const endpoint = yield* Config.String("MEDALLION_WHISPER_URL").pipe(Config.withDefault(defaults.endpoint))
      const model = yield* Config.String("MEDALLION_WHISPER_MODEL").pipe(Config.withDefault(defaults.model))
      const apiKey = yield* Config.Redacted("MEDALLION_WHISPER_API_KEY").pipe(Config.option)
      const maxItemsPerDay = yield* Config.Int("MEDALLION_WHISPER_MAX_ITEMS_PER_DAY").pipe(
        Config.withDefault(defaults.maxItemsPerDay)
      )
      const maxMinutesPerDay = yield* Config.Number("MEDALLION_WHISPER_MAX_MINUTES_PER_DAY").pipe(
        Config.withDefault(defaults.maxMinutesPerDay)
      )
      return Transcriber.layer({ endpoint, model, apiKey, maxItemsPerDay, maxMinutesPerDay })
    })
  )
}

const make = (options: TranscriberOptions) =>
  Effect.gen(function* () {
    const http = yield* FetchHttp
    const reader = yield* BronzeReader
    const writer = yield* BronzeWriter
    const services = Effect.provideService(BronzeReader, reader)
    const withBronze = <A, E>(effect: Effect.Effect<A, E, BronzeReader | BronzeWriter>) =>
      effect.pipe(services, Effect.provideService(BronzeWriter, writer))
    const url = transcriptionsUrl(options)

    const transcribe = Effect.fn("Transcriber.transcribe")(
      function* (item: ItemKey) {
        const written: Array<string> = []
        const result = itemResult(item.externalId, written)
        const infos = yield* reader.listItem(item)
        if (infos.some((i) => i.key.artifactType === "transcript")) return result("skipped", "already transcribed")
        const media = infos.find((i) => i.key.artifactType === "audio" || i.key.artifactType === "video")
        if (media === undefined) return result("skipped", "no audio or video artifact")

        const usage = yield* withBronze(SpendLedger.today(LEDGER))
        if (usage.items >= options.maxItemsPerDay || usage.minutes >= options.maxMinutesPerDay) {
          return result(
            "skipped",
            `daily spend limit reached (${usage.items}/${options.maxItemsPerDay} items, ${usage.minutes.toFixed(1)}/${options.maxMinutesPerDay} minutes)`
          )
        }
        if (media.size > options.maxMediaBytes) {
          written.push(
            yield* withBronze(
              ItemArtifacts.recordFailure(item, {
                artifact: "transcript",
                url: undefined,
                reason: "too-large",
                message: `the media has ${media.size} bytes, over the API's limit of ${options.maxMediaBytes}`
              })
            )
          )
          return result("failed", "media too large for the API")
        }

        const bytes = yield* reader.get(media.key)
        const form = new FormData()
        form.append(
          "file",
          new Blob([bytes], { type: mediaTypes[media.key.ext] ?? "application/octet-stream" }),
          `${media.key.artifactType}.${media.key.ext}`
        )
        form.append("model", options.model)
        form.append("response_format", "verbose_json")
        form.append("timestamp_granularities[]", "segment")
        if (options.language !== undefined) form.append("language", options.language)
        const response = yield* ApiRequest.post(http, {
          url,
          body: HttpBody.formData(form),
          apiKey: options.apiKey,
          timeout: options.timeout,
          maxBytes: 64 * 1024 * 1024,
          artifact: "transcript",
          awaited: "transcript"
        })
        if (response._tag === "Failure") {
          const record = response.failure
          written.push(yield* withBronze(ItemArtifacts.recordFailure(item, record)))
          return result("failed", record.message)
        }
        // Raw is raw: the response as received, even if it will not parse.
        const put = yield* writer.put({ ...item, artifactType: "transcript", ext: "json" }, response.success.body)
        written.push(put.location)
        const parsed = yield* Effect.result(WhisperTranscript.parse(response.success.body))
        const minutes = parsed._tag === "Success" ? parsed.success.duration / 60 : 0
        yield* withBronze(SpendLedger.record(LEDGER, { item: location(media.key), minutes }))
        if (parsed._tag === "Failure")
          return result("failed", `the transcript is not verbose_json: ${parsed.failure.reason}`)
        return result("fetched")
      },
      (effect, item) => Effect.mapError(effect, toSourceError(item.sourceType, item.externalId))
    )

    return Transcriber.of({ options, transcribe })
  })
