/** `@medallion/workers/ops`: what a daemon serves to its operators. */
export * as HealthServer from "./HealthServer.ts"
