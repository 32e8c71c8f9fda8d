/**
 * The entry point of an `ExtractPool` worker thread (piscina calls the default export once per task).
 * It runs one named extraction on the bytes it was sent and answers with plain data: the value, or the
 * extractor's failure (kind and reason), or the message of what it threw. A `ping` answers at once: the
 * pool uses it to wait until a fresh thread has loaded this module.
 */
import { Cause, Effect, Exit } from "effect"
import { ExtractError } from "./ExtractError.ts"
import * as Extraction from "./Extraction.ts"

export interface ExtractRequest {
  readonly task: Extraction.Task | "ping"
  readonly input?: unknown
  readonly bytes?: Uint8Array
}

export type ExtractReply =
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Failed"; readonly kind: ExtractError["kind"]; readonly reason: string }
  | { readonly _tag: "Crashed"; readonly message: string }
  | { readonly _tag: "Pong" }

const run = async (request: ExtractRequest): Promise<ExtractReply> => {
  if (request.task === "ping") return { _tag: "Pong" }
  if (!Extraction.isTask(request.task) || request.bytes === undefined) {
    return { _tag: "Crashed", message: `not an extraction task: ${String(request.task)}` }
  }
  const extraction: Extraction.Extraction<unknown> = { _tag: "Extraction", task: request.task, input: request.input }
  const exit = await Effect.runPromiseExit(Extraction.inline(extraction, request.bytes))
  if (Exit.isSuccess(exit)) return { _tag: "Ok", value: exit.value }
  const error = Cause.squash(exit.cause)
  if (error instanceof ExtractError) return { _tag: "Failed", kind: error.kind, reason: error.reason }
  return { _tag: "Crashed", message: error instanceof Error ? error.message : String(error) }
}

export default run
