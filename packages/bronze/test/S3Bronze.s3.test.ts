/**
 * S3Bronze against a real S3 server (a throwaway Ceph radosgw, see scripts/vitest/radosgw.ts): the
 * contract every bronze store keeps, in both catalog modes, each test in a fresh bucket.
 */
import { vi } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { S3Bronze } from "../src/s3.ts"
import { contractSuite } from "./BronzeContract.ts"
import { storeOptions, testBucket } from "./S3TestBucket.ts"

// Every call is a network round trip here: the hostile-id test alone makes several hundred.
vi.setConfig({ testTimeout: 120_000 })

contractSuite("S3Bronze", (catalog) =>
  Layer.unwrap(Effect.map(testBucket, ({ bucket }) => S3Bronze.layerWith(storeOptions(bucket, catalog))))
)
