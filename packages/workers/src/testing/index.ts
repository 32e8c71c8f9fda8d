/**
 * `@medallion/workers/testing`: the loopback fixture server that plays every
 * outside service of the fetch side, for end-to-end tests and the offline demo,
 * and hostile inputs generated for tests.
 */
export * from "./FixtureServer.ts"
export * from "./PathologicalPage.ts"
