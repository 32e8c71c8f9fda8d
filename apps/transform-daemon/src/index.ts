export * as TransformConfig from "./TransformConfig.ts"
export * as TransformDaemon from "./TransformDaemon.ts"
export * as TransformDeployment from "./TransformDeployment.ts"
