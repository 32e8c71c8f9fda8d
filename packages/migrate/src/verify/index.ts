/**
 * `@medallion/migrate/verify`: the check of a migration against bronze and silver. Apart from the run
 * path because it reads silver, which the run path may not.
 */
export * as Verify from "./Verify.ts"
