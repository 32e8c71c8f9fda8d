/**
 * Worker threads for CPU-heavy extractions (piscina), so that a hostile artifact can be stopped: each
 * extraction has a time budget, and one over it fails with `extract-timeout` while its thread is
 * terminated and replaced. The transform daemon runs its extractions here, and the fetch daemon its
 * parsing of feed documents and of pages to enrich: either daemon's main thread keeps ticking, answering
 * health checks and shutting down whatever a document does, and extraction uses every core.
 *
 * A thread is only handed an extraction when it is free (one permit per thread), so the budget measures
 * the extraction itself, never its wait in a queue; after a termination the pool waits for the new thread
 * to load before the next extraction's budget starts. Threads load `ExtractWorker` from the TypeScript
 * source when this module runs from it (tests, `pnpm medallion`), from the built JavaScript otherwise.
 *
 * Without an `ExtractPool` in the context, extractions run inline (`run` below): fine for tests and small
 * tools, but an inline extraction cannot be stopped, so its budget does not apply.
 */
import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import type { ResourceLimits } from "node:worker_threads"
import { Context, Duration, Effect, Layer, Metric, Option, Semaphore } from "effect"
import { Piscina } from "piscina"
import { ExtractError } from "./ExtractError.ts"
import * as Extraction from "./Extraction.ts"
import type { ExtractReply, ExtractRequest } from "./ExtractWorker.ts"

export interface ExtractPoolOptions {
  /** Worker threads (default: the machine's CPU count). */
  readonly threads?: number | undefined
  /** V8 heap limits of each thread (default Node's). */
  readonly resourceLimits?: ResourceLimits | undefined
}

export interface ExtractPoolShape {
  readonly threads: number
  /** Runs `extraction` on `bytes` in a worker thread; over `budget`, fails with `extract-timeout`. */
  readonly run: <A>(
    extraction: Extraction.Extraction<A>,
    bytes: Uint8Array,
    budget: Duration.Input
  ) => Effect.Effect<A, ExtractError>
}

const extractTimeouts = Metric.counter("extract_timeouts_total", {
  description: "Extractions stopped for running past their time budget, by task"
})

/** `ExtractWorker.ts` beside this module's source, or `ExtractWorker.js` beside its build. */
const workerFile = (): string => {
  const here = import.meta.url
  return fileURLToPath(new URL(here.endsWith(".ts") ? "./ExtractWorker.ts" : "./ExtractWorker.js", here))
}

export const make = Effect.fnUntraced(function* (options: ExtractPoolOptions = {}) {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()))
  const pool = yield* Effect.acquireRelease(
    Effect.sync(
      () =>
        new Piscina<ExtractRequest, ExtractReply>({
          filename: workerFile(),
          minThreads: threads,
          maxThreads: threads,
          idleTimeout: Number.MAX_SAFE_INTEGER,
          ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits })
        })
    ),
    (pool) => Effect.promise(() => pool.destroy())
  )
  const send = (request: ExtractRequest) =>
    Effect.tryPromise({ try: (signal) => pool.run(request, { signal }), catch: (cause) => cause })
  const ping = send({ task: "ping" })
  // Every thread has loaded the extractors before the first budget starts; a pool that cannot load
  // them is a broken installation, reported at start rather than as a failed item each time.
  yield* Effect.all(
    Array.from({ length: threads }, () => ping),
    { concurrency: "unbounded" }
  ).pipe(
    Effect.mapError((cause) => new Error(`the extraction worker threads could not start: ${String(cause)}`)),
    Effect.orDie
  )
  const permits = yield* Semaphore.make(threads)

  const run = <A>(
    extraction: Extraction.Extraction<A>,
    bytes: Uint8Array,
    budget: Duration.Input
  ): Effect.Effect<A, ExtractError> =>
    Effect.gen(function* () {
      const reply = yield* send({ task: extraction.task, input: extraction.input, bytes }).pipe(
        Effect.timeoutOption(budget)
      )
      if (Option.isNone(reply)) {
        // Interrupting the call aborted it: piscina terminated the thread and is starting another.
        yield* Effect.ignore(ping)
        yield* Metric.update(Metric.withAttributes(extractTimeouts, { task: extraction.task }), 1)
        const text = Duration.format(Duration.fromInputUnsafe(budget))
        yield* Effect.logWarning(`extraction stopped after its budget of ${text}`, { task: extraction.task })
        return yield* new ExtractError({
          kind: "extract-timeout",
          reason: `extract-timeout: the ${extraction.task} extraction ran past its budget of ${text} and was stopped`
        })
      }
      const answer = reply.value
      switch (answer._tag) {
        case "Ok":
          return answer.value as A
        case "Failed":
          return yield* new ExtractError({ kind: answer.kind, reason: answer.reason })
        case "Crashed":
          return yield* Effect.die(new Error(answer.message))
        case "Pong":
          return yield* Effect.die(new Error("the extraction thread answered a ping"))
      }
    }).pipe(
      // The call itself failed: the thread died (out of memory, say). It is replaced; the artifact failed.
      Effect.catchIf(
        (error): error is unknown => !(error instanceof ExtractError),
        (error) => Effect.die(error instanceof Error ? error : new Error(String(error)))
      ),
      permits.withPermit
    )

  return ExtractPool.of({ threads, run })
})

export class ExtractPool extends Context.Service<ExtractPool, ExtractPoolShape>()("@medallion/workers/ExtractPool") {
  /** A pool of `options.threads` worker threads (default: the CPU count), destroyed with its scope. */
  static readonly layer = (options?: ExtractPoolOptions): Layer.Layer<ExtractPool> => Layer.effect(this, make(options))
}

/** Runs `extraction` in the context's `ExtractPool` within `budget`, or inline when there is none. */
export const run = <A>(
  extraction: Extraction.Extraction<A>,
  bytes: Uint8Array,
  budget: Duration.Input
): Effect.Effect<A, ExtractError> =>
  Effect.flatMap(Effect.serviceOption(ExtractPool), (pool) =>
    Option.isSome(pool) ? pool.value.run(extraction, bytes, budget) : Extraction.inline(extraction, bytes)
  )
