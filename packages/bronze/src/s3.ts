/**
 * `@medallion/bronze/s3`: bronze on an S3-compatible bucket. An entry point of its own, so that the main
 * entry never loads `@aws-sdk/client-s3` (an optional peer dependency): install it only to use this store.
 */
export * as S3Bronze from "./S3Bronze.ts"
export { S3BronzeOptions, S3RetryOptions } from "./S3BronzeOptions.ts"
