/**
 * Global setup of `pnpm test:s3`: one S3-compatible server for all S3 test files.
 * (Filled in with the throwaway Ceph radosgw launcher.)
 */
export default async function setup() {}
