/**
 * The few S3 requests the store needs, as Effects: every failure becomes a `BronzeIoError` with the
 * operation and location, and transient failures (connection refused/reset, timeouts, 5xx,
 * throttling) are retried with exponential backoff and jitter, a bounded number of times. The SDK's
 * own retries are off so that there is one policy, ours.
 */
import { randomBytes } from "node:crypto"
import type { Readable } from "node:stream"
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import { Duration, Effect, Option, Redacted, Schedule, Scope } from "effect"
import { BronzeIoError } from "./BronzeErrors.ts"
import type { ResolvedS3Options } from "./S3BronzeOptions.ts"

/** What a HEAD tells about an object. */
export interface ObjectHead {
  readonly size: number
  readonly etag: string
  readonly lastModified: number
  /** User metadata, keys lowercase without the `x-amz-meta-` prefix. */
  readonly metadata: Readonly<Record<string, string>>
}

export interface ListedObject {
  readonly key: string
  readonly etag: string
}

interface ListPage {
  readonly objects: ReadonlyArray<ListedObject>
  readonly continuationToken: string | undefined
}

export interface PendingUpload {
  readonly key: string
  readonly uploadId: string
}

/** Metadata key of the random id every conditional put carries (see `putIfAbsent`). */
const WRITE_ID = "bronze-write-id"

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ECONNABORTED",
  "UND_ERR_SOCKET"
])
const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "InternalError",
  "ServiceUnavailable",
  "RequestTimeTooSkewed"
])

const statusOf = (cause: unknown): number | undefined => {
  if (typeof cause !== "object" || cause === null || !("$metadata" in cause)) return undefined
  const metadata = (cause as { readonly $metadata?: { readonly httpStatusCode?: number } }).$metadata
  return metadata?.httpStatusCode
}

/** True for failures worth another attempt: no answer from the server, a 5xx, or throttling. */
const isTransient = (cause: unknown): boolean => {
  if (typeof cause !== "object" || cause === null) return false
  const status = statusOf(cause)
  if (status !== undefined && (status >= 500 || status === 429)) return true
  const { code, name } = cause as { readonly code?: unknown; readonly name?: unknown }
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true
  if (typeof name === "string" && TRANSIENT_NAMES.has(name)) return true
  // The SDK marks a response it could not parse (a connection cut mid-body) this way.
  return "$retryable" in cause && Boolean((cause as { readonly $retryable?: unknown }).$retryable)
}

const isStatus = (cause: unknown, status: number): boolean => statusOf(cause) === status

const metadataOf = (metadata: Record<string, string> | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = v
  return out
}

export const makeClient = (options: ResolvedS3Options): Effect.Effect<S3Client, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(
      () =>
        new S3Client({
          region: options.region ?? "us-east-1",
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
          ...(options.credentials === undefined
            ? {}
            : {
                credentials: {
                  accessKeyId: options.credentials.accessKeyId,
                  secretAccessKey: Redacted.value(options.credentials.secretAccessKey)
                }
              }),
          maxAttempts: 1,
          requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 }
        })
    ),
    (client) => Effect.sync(() => client.destroy())
  )

export const make = (client: S3Client, options: ResolvedS3Options) => {
  const bucket = options.bucket
  const retry = options.retry
  const schedule = Schedule.exponential(Duration.millis(retry.baseDelayMs)).pipe(
    Schedule.jittered,
    Schedule.modifyDelay(({ duration }) =>
      Effect.succeed(Duration.millis(Math.min(Duration.toMillis(duration), retry.maxDelayMs)))
    ),
    Schedule.upTo({ times: retry.maxAttempts - 1 })
  )

  /**
   * One request, retried while its failure is transient. `attempt` must be safe to repeat (every
   * request here is: reads, conditional creates, deletes, parts of an upload).
   */
  const request = <A>(
    operation: string,
    location: string,
    attempt: (signal: AbortSignal) => Promise<A>
  ): Effect.Effect<A, BronzeIoError> =>
    Effect.tryPromise({
      try: (signal) => attempt(signal),
      catch: (cause) => new BronzeIoError({ operation, location, cause })
    }).pipe(Effect.retry({ schedule, while: (error) => isTransient(error.cause) }))

  /** Like `request`, but a 404 is `None`. */
  const requestOption = <A>(
    operation: string,
    location: string,
    attempt: (signal: AbortSignal) => Promise<A>
  ): Effect.Effect<Option.Option<A>, BronzeIoError> =>
    request(operation, location, (signal) =>
      attempt(signal).then(Option.some, (cause) => (isStatus(cause, 404) ? Option.none<A>() : Promise.reject(cause)))
    )

  const head = (key: string, location: string): Effect.Effect<Option.Option<ObjectHead>, BronzeIoError> =>
    requestOption("head", location, (abortSignal) =>
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }).then((r) => ({
        size: r.ContentLength ?? 0,
        etag: r.ETag ?? "",
        lastModified: r.LastModified?.getTime() ?? 0,
        metadata: metadataOf(r.Metadata)
      }))
    )

  return {
    /** Fails unless the bucket exists and the credentials may use it. */
    checkBucket: request("head-bucket", bucket, (abortSignal) =>
      client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal })
    ).pipe(Effect.asVoid),

    head,

    /**
     * Creates the object only if the key is free (`If-None-Match: *`, enforced by the server).
     * `true` when this call created it. A retried attempt whose first try did land gets a 412 too;
     * the random write id in the metadata tells that case apart from another writer's object.
     */
    putIfAbsent: (
      key: string,
      location: string,
      body: Uint8Array,
      metadata: Readonly<Record<string, string>>
    ): Effect.Effect<boolean, BronzeIoError> => {
      const writeId = randomBytes(12).toString("hex")
      return request("put", location, (abortSignal) =>
        client
          .send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              ContentLength: body.length,
              IfNoneMatch: "*",
              Metadata: { ...metadata, [WRITE_ID]: writeId }
            }),
            { abortSignal }
          )
          .then(
            () => true,
            (cause) => (isStatus(cause, 412) ? false : Promise.reject(cause))
          )
      ).pipe(
        Effect.flatMap((created) =>
          created
            ? Effect.succeed(true)
            : Effect.map(
                head(key, location),
                (stored) => Option.isSome(stored) && stored.value.metadata[WRITE_ID] === writeId
              )
        )
      )
    },

    getBytes: (key: string, location: string): Effect.Effect<Option.Option<Uint8Array>, BronzeIoError> =>
      requestOption("read", location, async (abortSignal) => {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })
        return response.Body === undefined ? new Uint8Array(0) : await response.Body.transformToByteArray()
      }),

    /** The body as a Node stream; the caller must consume or destroy it. */
    getStream: (key: string, location: string): Effect.Effect<Option.Option<Readable>, BronzeIoError> =>
      requestOption("open", location, async (abortSignal) => {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })
        return response.Body as Readable
      }),

    list: (options: {
      readonly prefix: string
      readonly startAfter?: string | undefined
      readonly continuationToken?: string | undefined
    }): Effect.Effect<ListPage, BronzeIoError> =>
      request("list", options.prefix, (abortSignal) =>
        client
          .send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: options.prefix,
              ...(options.continuationToken === undefined
                ? options.startAfter === undefined
                  ? {}
                  : { StartAfter: options.startAfter }
                : { ContinuationToken: options.continuationToken }),
              MaxKeys: 1000
            }),
            { abortSignal }
          )
          .then((r) => ({
            objects: (r.Contents ?? []).flatMap((o) =>
              o.Key === undefined ? [] : [{ key: o.Key, etag: o.ETag ?? "" }]
            ),
            continuationToken: r.IsTruncated === true ? r.NextContinuationToken : undefined
          }))
      ),

    delete: (key: string, location: string): Effect.Effect<void, BronzeIoError> =>
      request("delete", location, (abortSignal) =>
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })
      ).pipe(Effect.asVoid),

    createUpload: (key: string, location: string): Effect.Effect<string, BronzeIoError> =>
      request("create-upload", location, (abortSignal) =>
        client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal }).then((r) => {
          if (r.UploadId === undefined) throw new Error("the server returned no upload id")
          return r.UploadId
        })
      ),

    uploadPart: (
      upload: PendingUpload,
      location: string,
      partNumber: number,
      body: Uint8Array
    ): Effect.Effect<string, BronzeIoError> =>
      request("upload-part", location, (abortSignal) =>
        client
          .send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: upload.key,
              UploadId: upload.uploadId,
              PartNumber: partNumber,
              Body: body,
              ContentLength: body.length
            }),
            { abortSignal }
          )
          .then((r) => {
            if (r.ETag === undefined) throw new Error(`the server returned no ETag for part ${partNumber}`)
            return r.ETag
          })
      ),

    completeUpload: (
      upload: PendingUpload,
      location: string,
      etags: ReadonlyArray<string>
    ): Effect.Effect<void, BronzeIoError> =>
      request("complete-upload", location, (abortSignal) =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: upload.key,
            UploadId: upload.uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) }
          }),
          { abortSignal }
        )
      ).pipe(Effect.asVoid),

    abortUpload: (upload: PendingUpload, location: string): Effect.Effect<void, BronzeIoError> =>
      request("abort-upload", location, (abortSignal) =>
        client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }), {
            abortSignal
          })
          .catch((cause) => (isStatus(cause, 404) ? undefined : Promise.reject(cause)))
      ).pipe(Effect.asVoid),

    /** Unfinished multipart uploads under a prefix, one page at a time. */
    listUploads: (options: {
      readonly prefix: string
      readonly keyMarker?: string | undefined
      readonly uploadIdMarker?: string | undefined
    }): Effect.Effect<
      {
        readonly uploads: ReadonlyArray<PendingUpload>
        readonly next: { readonly keyMarker: string; readonly uploadIdMarker: string } | undefined
      },
      BronzeIoError
    > =>
      request("list-uploads", options.prefix, (abortSignal) =>
        client
          .send(
            new ListMultipartUploadsCommand({
              Bucket: bucket,
              Prefix: options.prefix,
              ...(options.keyMarker === undefined ? {} : { KeyMarker: options.keyMarker }),
              ...(options.uploadIdMarker === undefined ? {} : { UploadIdMarker: options.uploadIdMarker })
            }),
            { abortSignal }
          )
          .then((r) => ({
            uploads: (r.Uploads ?? []).flatMap((u) =>
              u.Key === undefined || u.UploadId === undefined ? [] : [{ key: u.Key, uploadId: u.UploadId }]
            ),
            next:
              r.IsTruncated === true && r.NextKeyMarker !== undefined
                ? { keyMarker: r.NextKeyMarker, uploadIdMarker: r.NextUploadIdMarker ?? "" }
                : undefined
          }))
      )
  }
}

export type S3ObjectStore = ReturnType<typeof make>
