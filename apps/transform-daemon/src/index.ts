export * as TransformDaemon from "./TransformDaemon.ts"
