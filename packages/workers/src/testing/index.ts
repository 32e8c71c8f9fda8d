/**
 * `@medallion/workers/testing`: the loopback fixture server that plays every
 * outside service of the fetch side, for end-to-end tests and the offline demo.
 */
export * from "./FixtureServer.ts"
