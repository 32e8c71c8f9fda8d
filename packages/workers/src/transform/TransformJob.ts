/**
 * The job the bronze -> silver sensor runs: for one microbatch of item keys, transform each (bounded
 * concurrency), write every row in one batch through silver's `ItemRepo`, record listed items as
 * `pending`, and report the items that did not transform cleanly with their reason.
 *
 * Its requirements are `BronzeReader` and `ItemRepo`: it cannot write bronze.
 */
import { Cause, type Duration, Effect, Exit, Schema } from "effect"
import { type BronzeReader, ItemKey, Tombstones } from "@medallion/bronze"
import { Job } from "@medallion/sensors"
import { Item, ItemRepo, type DatabaseError, type DatabaseUnavailable } from "@medallion/silver"
import type { ItemRows } from "./ItemRows.ts"
import * as SourceTransforms from "./SourceTransforms.ts"
import { transformItemWith } from "./Transform.ts"
import { defaultOptions, type TransformOptions } from "./TransformOptions.ts"

export const DEFAULT_JOB_NAME = "bronze-to-silver"
export const DEFAULT_CONCURRENCY = 4

/** An item the batch did not transform cleanly, and why. */
export type ItemFailure = Job.ItemFailure<ItemKey>

export interface TransformJobOptions {
  readonly name?: string | undefined
  /** The per-source transforms (default: the built-in `hn`, `feed`, `web`). */
  readonly transforms?: SourceTransforms.SourceTransforms | undefined
  readonly limits?: TransformOptions | undefined
  /**
   * The time budget of one artifact's extraction (default 5 seconds; overrides `limits.extractTimeout`).
   * It holds when an `ExtractPool` is in the context (the transform daemon provides one): an artifact
   * over it fails with `extract-timeout` and the rest of the batch goes on.
   */
  readonly extractTimeout?: Duration.Input | undefined
  /** Items transformed at once (default 4: extraction is CPU-bound, the reads are I/O). */
  readonly concurrency?: number | undefined
}

export interface WriteReport {
  readonly failures: ReadonlyArray<ItemFailure>
  readonly upserted: Item.UpsertResult
  /** Items recorded as `pending` by this batch (already known ones are not counted). */
  readonly discovered: number
  /** Failed items silver already had: only their statuses were written. */
  readonly statusOnly: number
}

export interface BatchReport extends WriteReport {
  readonly rows: ReadonlyArray<ItemRows>
}

/** The rule an item breaks, named (an id longer than silver keeps, say). */
const checkItemInput = Schema.decodeUnknownExit(Item.ItemInput)
const isDiscovered = Schema.is(Item.DiscoveredItem)
const keyOf = (k: { readonly sourceType: string; readonly externalId: string }) =>
  `${k.sourceType}\u0000${k.externalId}`

type Kept =
  | { readonly _tag: "Upsert"; readonly item: Item.ItemInput }
  | { readonly _tag: "StatusOnly"; readonly update: Item.StatusUpdate }

const statusOf = (item: Item.ItemInput): Item.StatusUpdate => ({
  sourceType: item.sourceType,
  externalId: item.externalId,
  fetchStatus: item.fetchStatus,
  fetchError: item.fetchError ?? null,
  transcriptionStatus: item.transcriptionStatus,
  transcriptionError: item.transcriptionError ?? null,
  transformStatus: item.transformStatus,
  transformError: item.transformError ?? null,
  transformVersion: item.transformVersion
})

const CHILD_KINDS = ["comments", "segments", "media", "enrichments"] as const

/**
 * Bad input never costs silver what it holds. A `failed` item that silver already has only gets its
 * statuses and reason (its fields and rows stay). A `partial` item whose comments, segments, media or
 * enrichments could not be derived at all keeps silver's current ones, with their provenance (silver's
 * upsert replaces every child kind, so the transform carries the current ones over).
 */
const keepWhatSilverHas = (
  repo: ItemRepo["Service"],
  row: ItemRows,
  item: Item.ItemInput
): Effect.Effect<Kept, DatabaseUnavailable | DatabaseError> =>
  Effect.gen(function* () {
    const missing = CHILD_KINDS.filter((kind) => item[kind] === undefined)
    if (row.outcome === "transformed" || (row.outcome === "partial" && missing.length === 0)) {
      return { _tag: "Upsert", item }
    }
    const existing = yield* repo.get({ sourceType: item.sourceType, externalId: item.externalId })
    if (existing._tag === "None") return { _tag: "Upsert", item }
    if (row.outcome !== "partial") return { _tag: "StatusOnly", update: statusOf(item) }
    const detail = existing.value
    const refs = new Set<string>()
    const ref = (artifactType: string, ext: string) => {
      refs.add(`${artifactType}.${ext}`)
      return { artifactType, ext }
    }
    const comments =
      item.comments ??
      detail.comments.map((c) => ({
        externalId: c.externalId,
        parentExternalId: c.parentExternalId,
        author: c.author,
        bodyText: c.bodyText,
        publishedAt: c.publishedAt,
        deleted: c.deleted,
        artifact: ref(c.artifactType, c.artifactExt)
      }))
    const segments =
      item.segments ??
      detail.segments.map((s) => ({
        startSeconds: s.startSeconds,
        endSeconds: s.endSeconds,
        text: s.text,
        speaker: s.speaker,
        artifact: ref(s.artifactType, s.artifactExt)
      }))
    const media =
      item.media ??
      detail.media.map((m) => ({
        kind: m.kind,
        url: m.url,
        mimeType: m.mimeType,
        durationSeconds: m.durationSeconds,
        bytes: m.bytes,
        artifact: m.artifactType === null || m.artifactExt === null ? null : ref(m.artifactType, m.artifactExt)
      }))
    const enrichments =
      item.enrichments ??
      detail.enrichments.map((e) => ({
        kind: e.kind,
        model: e.model,
        summaryText: e.summaryText,
        artifact: ref(e.artifactType, e.artifactExt)
      }))
    const listed = new Set(item.artifacts.map((a) => `${a.artifactType}.${a.ext}`))
    const carried = detail.artifacts
      .filter((a) => refs.has(`${a.artifactType}.${a.ext}`) && !listed.has(`${a.artifactType}.${a.ext}`))
      .map((a) => ({
        artifactType: a.artifactType,
        ext: a.ext,
        sha256: a.sha256,
        size: a.size,
        location: a.location,
        writtenAt: a.writtenAt
      }))
    return {
      _tag: "Upsert",
      item: { ...item, artifacts: [...item.artifacts, ...carried], comments, segments, media, enrichments }
    }
  })

/**
 * Writes a batch; should silver refuse an item of it (`InvalidItem`), that item is reported and the rest
 * written again, so one bad item never stops the others. `undefined` when nothing was left to write.
 */
const withoutRefused = <I extends { readonly sourceType: string; readonly externalId: string }, A, E, R>(
  batch: ReadonlyArray<I>,
  write: (batch: ReadonlyArray<I>) => Effect.Effect<A, E | Item.InvalidItem, R>,
  failures: Array<ItemFailure>
): Effect.Effect<A | undefined, Exclude<E, Item.InvalidItem>, R> =>
  Effect.gen(function* () {
    let rest = batch
    while (rest.length > 0) {
      const result = yield* write(rest).pipe(
        Effect.map((done) => ({ _tag: "Done" as const, done })),
        Effect.catchIf(
          (e): e is Item.InvalidItem => e instanceof Item.InvalidItem,
          (refused) => Effect.succeed({ _tag: "Refused" as const, refused })
        )
      )
      if (result._tag === "Done") return result.done
      const bad = keyOf(result.refused)
      const before = rest.length
      rest = rest.filter((i) => keyOf(i) !== bad)
      // silver named an item that is not in the batch: setting nothing aside would loop.
      if (rest.length === before) return yield* Effect.die(result.refused)
      failures.push({
        item: { sourceType: result.refused.sourceType, externalId: result.refused.externalId },
        reason: `invalid: ${result.refused.message}`
      })
    }
    return undefined
  }) as Effect.Effect<A | undefined, Exclude<E, Item.InvalidItem>, R>

/**
 * Writes a batch of rows. Every row is checked against silver's input schema first (an external id
 * longer than silver keeps, say): an invalid row is reported, the others are written.
 */
export const writeRows = Effect.fn("TransformJob.writeRows")(function* (rows: ReadonlyArray<ItemRows>) {
  const repo = yield* ItemRepo
  // A purged item gets no silver row again: not from its artifacts still listed, nor from a listing.
  const purged = yield* Effect.catch(Tombstones.purgedNow, (error) =>
    Effect.as(Effect.logWarning(`bronze tombstones not readable: ${error.message}`), new Set<string>())
  )
  const failures: Array<ItemFailure> = []
  const inputs: Array<Item.ItemInput> = []
  const statusOnly: Array<Item.StatusUpdate> = []
  const ifKnown: Array<Item.StatusUpdate> = []
  const discovered = new Map<string, Item.DiscoveredItem>()
  for (const row of rows) {
    if (purged.has(Tombstones.itemId(row.key))) continue
    if (row.outcome !== "transformed") failures.push({ item: row.key, reason: `${row.outcome}: ${row.reason ?? ""}` })
    for (const d of row.discovered)
      if (isDiscovered(d) && !purged.has(Tombstones.itemId(d))) discovered.set(keyOf(d), d)
    if (row.ifKnown !== undefined) ifKnown.push(row.ifKnown)
    if (row.item === undefined) continue
    const checked = checkItemInput(row.item)
    if (Exit.isFailure(checked)) {
      if (row.outcome === "transformed") {
        const why = Cause.squash(checked.cause)
        failures.push({
          item: row.key,
          reason: `invalid: silver cannot hold this item: ${why instanceof Error ? why.message.replace(/\s*\n\s*/g, " ") : String(why)}`
        })
      }
      continue
    }
    const kept = yield* keepWhatSilverHas(repo, row, row.item)
    if (kept._tag === "StatusOnly") statusOnly.push(kept.update)
    else inputs.push(kept.item)
  }
  const upserted = yield* withoutRefused(inputs, repo.upsert, failures)
  if (statusOnly.length > 0) yield* withoutRefused(statusOnly, repo.setStatus, failures)
  // setStatus changes the rows silver holds and creates none: the rows of folders that failed before.
  if (ifKnown.length > 0) yield* withoutRefused(ifKnown, repo.setStatus, failures)
  const listed = yield* withoutRefused(Array.from(discovered.values()), repo.discover, failures)
  // Recorded in silver and with the run; said here too, so no failure is only in a table.
  for (const failure of failures)
    yield* Effect.logWarning(
      `transform of ${failure.item.sourceType}/${failure.item.externalId} failed: ${failure.reason}`
    )
  const report: WriteReport = {
    failures,
    upserted: upserted ?? { inserted: 0, updated: 0, unchanged: 0 },
    discovered: listed?.discovered ?? 0,
    statusOnly: statusOnly.length
  }
  return report
})

/** Transforms a batch and writes it: the job's work, also usable without a sensor (a backfill). */
export const runBatch = (
  items: ReadonlyArray<ItemKey>,
  options: TransformJobOptions = {}
): Effect.Effect<BatchReport, DatabaseUnavailable | DatabaseError, BronzeReader | ItemRepo> =>
  Effect.gen(function* () {
    const unique = new Map<string, ItemKey>()
    for (const item of items) if (!SourceTransforms.bookkeeping.has(item.sourceType)) unique.set(keyOf(item), item)
    const limits = options.limits ?? defaultOptions
    const transform = transformItemWith(
      options.transforms ?? SourceTransforms.builtIn,
      options.extractTimeout === undefined ? limits : { ...limits, extractTimeout: options.extractTimeout }
    )
    const rows = yield* Effect.forEach(unique.values(), transform, {
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY
    })
    const written = yield* writeRows(rows)
    return { rows, ...written }
  }).pipe(Effect.withSpan("TransformJob.runBatch", { attributes: { items: items.length } }))

/** The bronze -> silver job for the sensor runtime: pass it to `Sensor.make({ job })`. */
export const make = (options: TransformJobOptions = {}) =>
  Job.make({
    name: options.name ?? DEFAULT_JOB_NAME,
    item: ItemKey,
    run: (items: ReadonlyArray<ItemKey>) =>
      Effect.map(runBatch(items, options), (report): Job.JobResult<ItemKey> => ({ failures: report.failures }))
  })
