/**
 * Items a tick cannot hand to a run are set aside, visibly, instead of failing the tick: the next tick
 * would meet the same item and fail again, so one bad item would stall the sensor for good.
 *
 * An item is set aside when it does not encode with its job's item schema, or when its run record could
 * not hold it (PostgreSQL's `jsonb` refuses U+0000 and lone surrogates: see silver's `PgText`); every item
 * of a run whose run key could not be stored is set aside too; and a sensor may name what it found but
 * cannot describe as an item (`Evaluation.quarantined`). All of a tick's quarantined items become one run
 * record, recorded `failed` in the tick's hand-off with each item's reason, never launched and never
 * retried (its key starts with `quarantine:`). Its key is derived from what it holds, so a tick evaluated
 * again after a crash finds the record already there.
 */
import { createHash } from "node:crypto"
import { PgText } from "@medallion/silver"
import { Cause, Exit, Schema } from "effect"
import type { Quarantined, RunRequest } from "./Sensor.ts"
import { type FailedRun, QUARANTINE_PREFIX } from "./SensorStore.ts"

/** A run request whose items are encoded and storable. */
export interface EncodedRun {
  readonly runKey: string
  readonly items: ReadonlyArray<unknown>
}

export interface Prepared {
  readonly runs: ReadonlyArray<EncodedRun>
  readonly quarantined: ReadonlyArray<Quarantined>
}

/**
 * How an item that cannot be stored is shown: its JSON text, in which U+0000 and lone surrogates are
 * written as `\u` escapes, so it is storable and says exactly what the item was.
 */
export const shown = (item: unknown): unknown => {
  if (PgText.jsonProblem(item) === undefined) return item
  try {
    return JSON.stringify(item) ?? String(item)
  } catch {
    return String(item)
  }
}

/** Encodes each request's items one by one with `item` and sets aside those that cannot be recorded. */
export const prepare = (
  item: Schema.Codec<unknown, unknown>,
  requests: ReadonlyArray<RunRequest<unknown>>
): Prepared => {
  const encode = Schema.encodeUnknownExit(item)
  const runs: Array<EncodedRun> = []
  const quarantined: Array<Quarantined> = []
  for (const request of requests) {
    const keyProblem = PgText.problem(request.runKey)
    if (keyProblem !== undefined) {
      for (const raw of request.items) {
        quarantined.push({ item: shown(raw), reason: `its run key cannot be stored: it ${keyProblem}` })
      }
      continue
    }
    const items: Array<unknown> = []
    for (const raw of request.items) {
      const encoded = encode(raw)
      if (Exit.isFailure(encoded)) {
        const error = Cause.squash(encoded.cause)
        const words = error instanceof Error ? error.message.replace(/\s*\n\s*/g, " ") : String(error)
        quarantined.push({ item: shown(raw), reason: `the item does not encode with the job's schema: ${words}` })
        continue
      }
      const problem = PgText.jsonProblem(encoded.value)
      if (problem !== undefined) {
        quarantined.push({ item: shown(encoded.value), reason: `its run record cannot store it: ${problem}` })
        continue
      }
      items.push(encoded.value)
    }
    if (items.length > 0) runs.push({ runKey: request.runKey, items })
  }
  return { runs, quarantined }
}

/** The failed run record of a tick's quarantined items, or `undefined` when there are none. */
export const record = (quarantined: ReadonlyArray<Quarantined>): FailedRun | undefined => {
  if (quarantined.length === 0) return undefined
  const failures = quarantined.map((q) => ({ item: shown(q.item), reason: q.reason }))
  const hash = createHash("sha256")
  for (const line of failures.map((failure) => JSON.stringify(failure)).sort()) hash.update(line).update("\n")
  return {
    runKey: `${QUARANTINE_PREFIX}${hash.digest("hex")}`,
    items: failures.map((failure) => failure.item),
    error: `${failures.length} item(s) quarantined, not run; first: ${failures[0]!.reason}`,
    failures
  }
}
