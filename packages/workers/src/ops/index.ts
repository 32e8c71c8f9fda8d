/** `@medallion/workers/ops`: what a daemon serves to its operators. */
export * as HealthServer from "./HealthServer.ts"
export * as StatusPage from "./StatusPage.ts"
export * as TransformStatus from "./TransformStatus.ts"
// The error class also at the top level, so that declaration emit in dependents can name it.
export { StatusPageAssetsMissing } from "./StatusPage.ts"
