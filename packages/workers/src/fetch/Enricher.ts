/**
 * Optional LLM enrichment (off by default): a summary of the item's text from
 * an OpenAI-compatible `/v1/chat/completions`. The prompt is built from the
 * item's bronze artifacts with the same pure extractors the transform uses
 * (transcript, article/page HTML, HN item text), never from silver. The exact
 * request and the full response are stored as a pair:
 * `enrichment-prompt.json` (the request body as sent, plus the artifacts it was
 * built from) and `enrichment-response.json` (as received). A daily item limit
 * is counted from bronze (`SpendLedger`).
 */
import { BronzeReader, BronzeWriter, type ArtifactInfo, type ItemKey } from "@medallion/bronze"
import { Clock, Config, Context, DateTime, Duration, Effect, Layer, Option, Redacted } from "effect"
import { HttpBody } from "effect/http"
import * as ApiRequest from "./ApiRequest.ts"
import * as ChatCompletion from "../extract/ChatCompletion.ts"
import * as HnItem from "../extract/HnItem.ts"
import * as ExtractPool from "../extract/ExtractPool.ts"
import * as Extraction from "../extract/Extraction.ts"
import * as WhisperTranscript from "../extract/WhisperTranscript.ts"
import { FetchHttp, type TestResponse } from "../http/FetchHttp.ts"
import * as ItemArtifacts from "./ItemArtifacts.ts"
import { itemResult, toSourceError, type ItemFetchResult, type SourceError } from "./Source.ts"
import * as SpendLedger from "./SpendLedger.ts"

export interface EnricherOptions {
  readonly enabled: boolean
  readonly endpoint: string
  readonly model: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly maxItemsPerDay: number
  /** Characters of item text put into the prompt. */
  readonly maxInputChars: number
  readonly systemPrompt: string
  readonly timeout: Duration.Duration
  /**
   * The time budget of extracting the article from one page for the prompt. It holds when an
   * `ExtractPool` is in the context (the fetch daemon provides one); over it, the page is passed over.
   */
  readonly extractTimeout: Duration.Duration
}

export const defaults: EnricherOptions = {
  enabled: false,
  endpoint: "https://api.openai.com",
  model: "gpt-4o-mini",
  apiKey: Option.none(),
  maxItemsPerDay: 200,
  maxInputChars: 12_000,
  systemPrompt: "Summarize the following text in three sentences. Answer with the summary only.",
  timeout: Duration.minutes(2),
  extractTimeout: Duration.seconds(5)
}

export const LEDGER = "enrichment"

export interface PromptText {
  readonly title: string | undefined
  readonly text: string
  /** Locations of the artifacts the text came from. */
  readonly sources: ReadonlyArray<string>
}

const stripHtml = (html: string): string =>
  html
    .replace(/<p>/gi, "\n\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&gt;/g, ">")
    .replace(/&lt;/g, "<")
    .replace(/&amp;/g, "&")
    .trim()

/**
 * The text to summarize, from what the item holds in bronze, best source first:
 * a transcript, then the article or page (readability), then the HN item's own text.
 */
export const promptText = (item: ItemKey, extractTimeout: Duration.Input = defaults.extractTimeout) =>
  Effect.gen(function* () {
    const reader = yield* BronzeReader
    const infos = yield* reader.listItem(item)
    const newest = (base: string): ArtifactInfo | undefined => ItemArtifacts.latest(infos, base)?.info
    const transcript = newest("transcript")
    if (transcript !== undefined) {
      const parsed = yield* Effect.option(WhisperTranscript.parse(yield* reader.get(transcript.key)))
      if (Option.isSome(parsed) && parsed.value.text.length > 0) {
        return Option.some<PromptText>({ title: undefined, text: parsed.value.text, sources: [transcript.location] })
      }
    }
    for (const base of ["article", "page"]) {
      const html = newest(base)
      if (html === undefined) continue
      const response = newest(`${base}-response`)
      const contentType =
        response === undefined
          ? undefined
          : (Option.getOrUndefined(yield* ItemArtifacts.readJson(response.key)) as
              { headers?: Record<string, string> } | undefined)
      const article = yield* Effect.option(
        ExtractPool.run(
          Extraction.htmlArticle({ contentType: contentType?.headers?.["content-type"] }),
          yield* reader.get(html.key),
          extractTimeout
        )
      )
      if (Option.isSome(article)) {
        return Option.some<PromptText>({
          title: article.value.title,
          text: article.value.text,
          sources: [html.location]
        })
      }
    }
    const hn = newest("item")
    if (hn !== undefined) {
      const parsed = yield* Effect.option(HnItem.parseItem(yield* reader.get(hn.key)))
      const story = Option.getOrUndefined(parsed)
      if (story !== undefined && story.text !== undefined) {
        return Option.some<PromptText>({ title: story.title, text: stripHtml(story.text), sources: [hn.location] })
      }
    }
    return Option.none<PromptText>()
  })

/** What the API answers `Enricher.layerTest` for one item. */
export type EnricherTestAnswer =
  /** A 200 chat completion with this summary. */
  | { readonly summary: string }
  /** The API's answer as given: a 429, a 500, a body that is not a chat completion, ... */
  | { readonly response: TestResponse }

const completionsUrl = (options: EnricherOptions) => `${options.endpoint.replace(/\/+$/, "")}/v1/chat/completions`

export class Enricher extends Context.Service<
  Enricher,
  {
    readonly options: EnricherOptions
    /** Summarizes the item unless enrichment is off, it has a summary already, or today's budget is spent. */
    readonly enrich: (item: ItemKey) => Effect.Effect<ItemFetchResult, SourceError>
  }
>()("@medallion/workers/Enricher") {
  static readonly layer = (options: Partial<EnricherOptions> = {}) =>
    Layer.effect(Enricher, make({ ...defaults, ...options }))

  /**
   * The double for users' tests: the real enricher (on unless `enabled: false`; skip rules, spend limit,
   * the prompt and response pair written to bronze, failure records) with the API's answer for each item
   * given by `answer` (through `FetchHttp.layerTest`). Needs bronze, no server.
   */
  static readonly layerTest = (
    answer: (item: ItemKey) => EnricherTestAnswer,
    options: Partial<EnricherOptions> = {}
  ): Layer.Layer<Enricher, never, BronzeReader | BronzeWriter> =>
    Layer.effect(
      Enricher,
      Effect.gen(function* () {
        const full = { ...defaults, enabled: true, endpoint: "https://llm.test", ...options }
        const bronze = Context.pick(BronzeReader, BronzeWriter)(yield* Effect.context<BronzeReader | BronzeWriter>())
        const enrich = (item: ItemKey) => {
          const given = answer(item)
          const response: TestResponse =
            "summary" in given
              ? {
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({
                    model: full.model,
                    choices: [
                      { index: 0, finish_reason: "stop", message: { role: "assistant", content: given.summary } }
                    ]
                  })
                }
              : given.response
          return Effect.flatMap(make(full), (real) => real.enrich(item)).pipe(
            Effect.provide(FetchHttp.layerTest({ [completionsUrl(full)]: response })),
            Effect.provideContext(bronze)
          )
        }
        return Enricher.of({ options: full, enrich })
      })
    )

  /** The text a summary prompt is built from, read from the item's bronze artifacts. */
  static readonly promptText = promptText

  /**
   * From the environment: `MEDALLION_ENRICH_ENABLED` (default false), `MEDALLION_LLM_URL`, `MEDALLION_LLM_MODEL`,
   * `MEDALLION_LLM_API_KEY` (secret), `MEDALLION_ENRICH_MAX_ITEMS_PER_DAY`.
   */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function* () {
      const enabled = yield* Config.Boolean("MEDALLION_ENRICH_ENABLED").pipe(Config.withDefault(false))
      const endpoint = yield* Config.String("MEDALLION_LLM_URL").pipe(Config.withDefault(defaults.endpoint))
      const model = yield* Config.String("MEDALLION_LLM_MODEL").pipe(Config.withDefault(defaults.model))
      const apiKey = yield* Config.Redacted("MEDALLION_LLM_API_KEY").pipe(Config.option)
      const maxItemsPerDay = yield* Config.Int("MEDALLION_ENRICH_MAX_ITEMS_PER_DAY").pipe(
        Config.withDefault(defaults.maxItemsPerDay)
      )
      return Enricher.layer({ enabled, endpoint, model, apiKey, maxItemsPerDay })
    })
  )
}

const encoder = new TextEncoder()

const make = (options: EnricherOptions) =>
  Effect.gen(function* () {
    const http = yield* FetchHttp
    const reader = yield* BronzeReader
    const writer = yield* BronzeWriter
    const withBronze = <A, E>(effect: Effect.Effect<A, E, BronzeReader | BronzeWriter>) =>
      effect.pipe(Effect.provideService(BronzeReader, reader), Effect.provideService(BronzeWriter, writer))
    const url = completionsUrl(options)

    const enrich = Effect.fn("Enricher.enrich")(
      function* (item: ItemKey) {
        const written: Array<string> = []
        const result = itemResult(item.externalId, written)
        if (!options.enabled) return result("skipped", "enrichment is off")
        const infos = yield* reader.listItem(item)
        if (infos.some((i) => i.key.artifactType === "enrichment-response"))
          return result("skipped", "already enriched")
        const input = yield* withBronze(promptText(item, options.extractTimeout))
        if (Option.isNone(input)) return result("skipped", "no text to summarize")
        const usage = yield* withBronze(SpendLedger.today(LEDGER))
        if (usage.items >= options.maxItemsPerDay) {
          return result("skipped", `daily spend limit reached (${usage.items}/${options.maxItemsPerDay} items)`)
        }

        const content =
          (input.value.title === undefined ? "" : `Title: ${input.value.title}\n\n`) +
          input.value.text.slice(0, options.maxInputChars)
        const request = {
          model: options.model,
          messages: [
            { role: "system", content: options.systemPrompt },
            { role: "user", content }
          ]
        }
        const body = encoder.encode(JSON.stringify(request))
        const at = DateTime.formatIso(DateTime.makeUnsafe(yield* Clock.currentTimeMillis))
        written.push(
          (yield* withBronze(
            ItemArtifacts.putJson(
              { ...item, artifactType: "enrichment-prompt", ext: "json" },
              { endpoint: url, at, sources: input.value.sources, request }
            )
          )).location
        )
        const response = yield* ApiRequest.post(http, {
          url,
          body: HttpBody.uint8Array(body, "application/json"),
          apiKey: options.apiKey,
          timeout: options.timeout,
          artifact: "enrichment",
          awaited: "response"
        })
        if (response._tag === "Failure") {
          const record = response.failure
          written.push(yield* withBronze(ItemArtifacts.recordFailure(item, record)))
          return result("failed", record.message)
        }
        written.push(
          (yield* writer.put({ ...item, artifactType: "enrichment-response", ext: "json" }, response.success.body))
            .location
        )
        const parsed = yield* Effect.result(ChatCompletion.parse(response.success.body))
        yield* withBronze(
          SpendLedger.record(LEDGER, {
            item: written[0]!,
            tokens: parsed._tag === "Success" ? (parsed.success.totalTokens ?? 0) : 0
          })
        )
        if (parsed._tag === "Failure") return result("failed", parsed.failure.reason)
        return result("fetched")
      },
      (effect, item) => Effect.mapError(effect, toSourceError(item.sourceType, item.externalId))
    )

    return Enricher.of({ options, enrich })
  })
