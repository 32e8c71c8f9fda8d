/**
 * Configuration of the raw store on an S3-compatible object store, validated with a Schema at the
 * boundary so that a bad bucket, prefix or retry policy fails at start with the key that is wrong.
 */
import { Effect, Schema } from "effect"
import { CatalogMode, DEFAULT_TEMP_GRACE_MS } from "./BronzeConfig.ts"
import { BronzeIoError } from "./BronzeErrors.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** Transient failures (connection refused/reset, timeouts, 5xx, throttling) are retried with these. */
export const S3RetryOptions = Schema.Struct({
  /** Attempts per request, the first included (default 6). */
  maxAttempts: Schema.optionalKey(PositiveInt),
  /** First backoff delay; each retry doubles it, with jitter (default 100 ms). */
  baseDelayMs: Schema.optionalKey(PositiveInt),
  /** Longest single backoff delay (default 5 s). */
  maxDelayMs: Schema.optionalKey(PositiveInt)
}).annotate({ identifier: "S3RetryOptions" })
export type S3RetryOptions = typeof S3RetryOptions.Type

/** S3 refuses parts under 5 MiB (except the last one). */
const MIN_PART_SIZE = 5 * 1024 * 1024

export const S3BronzeOptions = Schema.Struct({
  /** An existing bucket: the store never creates or deletes buckets. */
  bucket: Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)),
  /** Key prefix of the store inside the bucket, e.g. `bronze/`; a missing trailing `/` is added. */
  prefix: Schema.optionalKey(
    Schema.String.check(
      Schema.makeFilter(
        (p: string) =>
          (!p.startsWith("/") && !p.includes("//")) || "a key prefix without a leading slash or empty parts"
      )
    )
  ),
  region: Schema.optionalKey(Schema.String),
  /** Base URL of an S3-compatible server (e.g. `http://127.0.0.1:7480`); AWS when absent. */
  endpoint: Schema.optionalKey(
    Schema.String.check(Schema.makeFilter((s: string) => URL.canParse(s) || "an absolute URL such as http://host:port"))
  ),
  /** `bucket` in the path instead of the host name (most self-hosted servers need it). */
  forcePathStyle: Schema.optionalKey(Schema.Boolean),
  /** Static credentials; the SDK's default chain (environment, profile, instance role) when absent. */
  credentials: Schema.optionalKey(
    Schema.Struct({
      accessKeyId: Schema.String.check(Schema.isNonEmpty()),
      secretAccessKey: Schema.Redacted(Schema.String)
    })
  ),
  catalog: CatalogMode,
  retry: Schema.optionalKey(S3RetryOptions),
  /** Part size of multipart uploads, and the size above which `putStream` uses one (default 8 MiB). */
  partSize: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(MIN_PART_SIZE))),
  /** Unreferenced blobs and unfinished uploads older than this are removed by `reconcile` (default one hour). */
  tempGraceMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
}).annotate({ identifier: "S3BronzeOptions" })
export type S3BronzeOptions = typeof S3BronzeOptions.Type

/** The options with every default filled in and the prefix normalized to `""` or `.../`. */
export interface ResolvedS3Options extends S3BronzeOptions {
  readonly prefix: string
  readonly partSize: number
  readonly tempGraceMs: number
  readonly retry: Required<S3RetryOptions>
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024

export const resolveOptions = (input: S3BronzeOptions): Effect.Effect<ResolvedS3Options, BronzeIoError> =>
  Schema.decodeUnknownEffect(S3BronzeOptions)(input).pipe(
    Effect.mapError((cause) => new BronzeIoError({ operation: "configure", location: "(s3 options)", cause })),
    Effect.map((options) => {
      const prefix = options.prefix ?? ""
      return {
        ...options,
        prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`,
        partSize: options.partSize ?? DEFAULT_PART_SIZE,
        tempGraceMs: options.tempGraceMs ?? DEFAULT_TEMP_GRACE_MS,
        retry: {
          maxAttempts: options.retry?.maxAttempts ?? 6,
          baseDelayMs: options.retry?.baseDelayMs ?? 100,
          maxDelayMs: options.retry?.maxDelayMs ?? 5_000
        }
      }
    })
  )
