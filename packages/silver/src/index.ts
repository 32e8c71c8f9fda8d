export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
export * as Migrations from "./migrations/index.ts"
export * as SilverError from "./SilverError.ts"
export * as SilverMigrator from "./SilverMigrator.ts"
// Error classes also at the top level, so that declaration emit in dependents can name them.
export { EmbeddedPostgresError } from "./EmbeddedPostgres.ts"
export { DatabaseError, DatabaseUnavailable, MigrationFailed } from "./SilverError.ts"
