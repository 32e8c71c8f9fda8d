/**
 * The S3 server of `pnpm test:s3` (scripts/vitest/radosgw.ts exports its endpoint and credentials),
 * a fresh bucket per test file, and direct access to it for checks that must bypass the store.
 */
import { randomBytes } from "node:crypto"
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client
} from "@aws-sdk/client-s3"
import { Effect, Redacted } from "effect"
import type { CatalogMode } from "../src/index.ts"
import type { S3Bronze } from "../src/s3.ts"

const required = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set: run S3 tests with pnpm test:s3`)
  return value
}

export const s3Server = () => ({
  endpoint: required("MEDALLION_TEST_S3_ENDPOINT"),
  accessKeyId: required("MEDALLION_TEST_S3_ACCESS_KEY"),
  secretAccessKey: required("MEDALLION_TEST_S3_SECRET_KEY")
})

/** A client that talks to the server directly, for setup and for looking behind the store's back. */
export const directClient = (): S3Client => {
  const server = s3Server()
  return new S3Client({
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }
  })
}

/** Every object key under a prefix. */
export const listKeys = (client: S3Client, bucket: string, prefix = ""): Promise<Array<string>> =>
  (async () => {
    const keys: Array<string> = []
    let token: string | undefined
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })
      )
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key)
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return keys
  })()

/** Unfinished multipart uploads under a prefix. */
export const listUploads = async (client: S3Client, bucket: string, prefix = "") =>
  (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? []

const emptyAndDelete = async (client: S3Client, bucket: string) => {
  for (const upload of await listUploads(client, bucket)) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
  }
  for (const key of await listKeys(client, bucket)) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }))
}

/** A new, empty bucket, emptied and deleted when the scope closes. */
export const testBucket = Effect.acquireRelease(
  Effect.promise(async () => {
    const client = directClient()
    const bucket = `medallion-test-${randomBytes(6).toString("hex")}`
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    return { client, bucket }
  }),
  ({ bucket, client }) =>
    Effect.promise(() => emptyAndDelete(client, bucket).finally(() => client.destroy())).pipe(Effect.ignore)
)

/** Options of a store in `bucket` under a fresh prefix, against the test server (or `endpoint`). */
export const storeOptions = (
  bucket: string,
  catalog: CatalogMode,
  extra: Partial<S3Bronze.S3BronzeOptions> = {}
): S3Bronze.S3BronzeOptions & { readonly prefix: string } => {
  const server = s3Server()
  return {
    bucket,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: Redacted.make(server.secretAccessKey) },
    catalog,
    ...extra,
    prefix: extra.prefix ?? `store-${randomBytes(6).toString("hex")}/`
  }
}
