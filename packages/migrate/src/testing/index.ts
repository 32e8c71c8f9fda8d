/**
 * `@medallion/migrate/testing`: a sample legacy database, as a combined fetch+transform pipeline leaves
 * it, built from real captured data, with its mapping. For tests, benchmarks and trying the migration.
 */
export * as LegacyFixture from "./LegacyFixture.ts"
