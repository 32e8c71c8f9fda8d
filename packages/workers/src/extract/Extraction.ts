/**
 * The CPU-heavy extractions, by name: Readability on an HTML page, a feed document, a
 * sitemap, and the large JSON artifacts (Hacker News items, lists and comment trees, Whisper transcripts,
 * LLM responses). An `Extraction` is a name and a plain input, so it can cross to a worker thread of the
 * `ExtractPool`, whose thread runs the same pure function the transform would run inline.
 *
 * The extractors stay pure functions of `extract/`; the transform and the fetch side (feed documents,
 * pages to enrich) run them through the pool, other callers in process.
 */
import type { Effect } from "effect"
import * as ChatCompletion from "./ChatCompletion.ts"
import type { ExtractError } from "./ExtractError.ts"
import * as FeedDocument from "./FeedDocument.ts"
import * as HnItem from "./HnItem.ts"
import * as HtmlArticle from "./HtmlArticle.ts"
import * as Sitemap from "./Sitemap.ts"
import * as WhisperTranscript from "./WhisperTranscript.ts"

/** Each task: bytes and a structured-cloneable input to the extractor's result. */
const tasks = {
  "html-article": (bytes: Uint8Array, options: HtmlArticle.ExtractOptions) => HtmlArticle.extract(bytes, options),
  feed: (bytes: Uint8Array, options: FeedDocument.ParseOptions) => FeedDocument.parse(bytes, options),
  sitemap: (bytes: Uint8Array, contentType: string | undefined) => Sitemap.parse(bytes, contentType),
  "hn-item": (bytes: Uint8Array, _: null) => HnItem.parseItem(bytes),
  "hn-ids": (bytes: Uint8Array, _: null) => HnItem.parseIds(bytes),
  "hn-comments": (bytes: Uint8Array, storyId: number) => HnItem.parseCommentTree(bytes, storyId),
  "whisper-transcript": (bytes: Uint8Array, _: null) => WhisperTranscript.parse(bytes),
  "chat-completion": (bytes: Uint8Array, _: null) => ChatCompletion.parse(bytes)
} satisfies Record<string, (bytes: Uint8Array, input: never) => Effect.Effect<unknown, ExtractError>>

export type Task = keyof typeof tasks

/** One extraction to run on an artifact's bytes, yielding `A`. */
export interface Extraction<A> {
  readonly _tag: "Extraction"
  readonly task: Task
  readonly input: unknown
  /** Phantom: the result type. */
  readonly _A?: (_: never) => A
}

type Result<T extends Task> = Effect.Success<ReturnType<(typeof tasks)[T]>>

const make = <T extends Task>(task: T, input: Parameters<(typeof tasks)[T]>[1]): Extraction<Result<T>> => ({
  _tag: "Extraction",
  task,
  input
})

export const htmlArticle = (options: HtmlArticle.ExtractOptions) => make("html-article", options)
export const feed = (options: FeedDocument.ParseOptions) => make("feed", options)
export const sitemap = (contentType: string | undefined) => make("sitemap", contentType)
export const hnItem = make("hn-item", null)
export const hnIds = make("hn-ids", null)
export const hnComments = (storyId: number) => make("hn-comments", storyId)
export const whisperTranscript = make("whisper-transcript", null)
export const chatCompletion = make("chat-completion", null)

export const isExtraction = (u: unknown): u is Extraction<unknown> =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "Extraction"

/** Whether `task` names one of the extractions (a worker thread checks what it was sent). */
export const isTask = (task: unknown): task is Task => typeof task === "string" && Object.hasOwn(tasks, task)

/** Runs the extraction here, in this thread. */
export const inline = <A>(extraction: Extraction<A>, bytes: Uint8Array): Effect.Effect<A, ExtractError> =>
  (tasks[extraction.task] as (bytes: Uint8Array, input: unknown) => Effect.Effect<A, ExtractError>)(
    bytes,
    extraction.input
  )
