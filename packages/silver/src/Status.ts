/**
 * Silver's own state for each item: where it is in fetching, transcription
 * and transformation. The values are the CHECK constraints of `items`; the
 * transform worker derives them from what bronze holds, silver stores and
 * serves them.
 *
 * fetch_status (is the item's content in bronze?)
 *   pending      discovered (e.g. in a list or feed response) but not fetched yet.
 *                Set by `ItemRepo.discover`; never set back over another state by it.
 *   fetched      bronze holds the item's content.
 *   failed       the last fetch failed; `fetch_error` says why. A later successful
 *                fetch moves it to `fetched`.
 *   skipped      deliberately not fetched (robots.txt, size limit, refused address,
 *                spend limit); `fetch_error` may say why.
 *   gone         the source no longer has it (deleted, 404/410); `fetch_error` may say more.
 *
 * transcription_status (is there spoken media, and is its text in bronze?)
 *   not_applicable  the item has no media to transcribe (the default).
 *   pending         media exists (or is expected) and no transcript is in bronze yet.
 *   transcribed     a transcript is in bronze (and its segments are in silver).
 *   failed          transcription failed; `transcription_error` says why.
 *   skipped         not transcribed on purpose (spend limit, too long); the reason may be given.
 *
 * transform_status (are silver's rows derived from bronze's current artifacts?)
 *   pending      bronze has artifacts that silver has not turned into rows yet
 *                (new items, or a refetch).
 *   transformed  silver's rows are derived from the newest artifacts, by the
 *                `transform_version` recorded on the row.
 *   failed       the artifacts could not be transformed (invalid JSON, wrong charset,
 *                truncated file...); `transform_error` says why. The previous rows stay.
 *
 * A backfill finds rows whose `transform_version` is below the transform's
 * current version (`ItemRepo.stale`) and transforms them again.
 */
import { Schema } from "effect"

export const FetchStatus = Schema.Literals(["pending", "fetched", "failed", "skipped", "gone"])
export type FetchStatus = typeof FetchStatus.Type

export const TranscriptionStatus = Schema.Literals(["not_applicable", "pending", "transcribed", "failed", "skipped"])
export type TranscriptionStatus = typeof TranscriptionStatus.Type

export const TransformStatus = Schema.Literals(["pending", "transformed", "failed"])
export type TransformStatus = typeof TransformStatus.Type

/** States whose error reason is required. */
export const FAILED = "failed" as const

/** The states that may carry a reason, per status. */
export const fetchReasonAllowed: ReadonlySet<FetchStatus> = new Set(["failed", "skipped", "gone"])
export const transcriptionReasonAllowed: ReadonlySet<TranscriptionStatus> = new Set(["failed", "skipped"])
export const transformReasonAllowed: ReadonlySet<TransformStatus> = new Set(["failed"])

/** Longest error reason stored; longer reasons are cut (the database refuses more than 4,000 characters). */
export const MAX_REASON_LENGTH = 2000
