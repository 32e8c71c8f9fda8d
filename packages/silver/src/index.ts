export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
export * as Migrations from "./migrations/index.ts"
export * as SilverError from "./SilverError.ts"
export * as SilverMigrator from "./SilverMigrator.ts"
