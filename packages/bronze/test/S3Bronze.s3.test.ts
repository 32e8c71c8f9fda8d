/**
 * S3Bronze against a real S3 server (a throwaway Ceph radosgw, see scripts/vitest/radosgw.ts): the
 * contract every bronze store keeps, in both catalog modes, each test in a fresh bucket.
 */
import { Effect, Layer } from "effect"
import { S3Bronze } from "../src/index.ts"
import { contractSuite } from "./BronzeContract.ts"
import { storeOptions, testBucket } from "./S3TestBucket.ts"

contractSuite("S3Bronze", (catalog) =>
  Layer.unwrap(Effect.map(testBucket, ({ bucket }) => S3Bronze.layerWith(storeOptions(bucket, catalog))))
)
